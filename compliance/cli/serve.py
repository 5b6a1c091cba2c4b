"""Commands of this group are being built; see the issue tracker."""

COMMANDS: list[object] = []
