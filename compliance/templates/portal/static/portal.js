// Narrows table rows to those containing the text typed in a [data-filter] search box.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("input[data-filter]")) {
    const narrow = () => {
      const needle = box.value.trim().toLowerCase();
      for (const row of document.querySelectorAll(box.dataset.filter)) {
        row.hidden = needle !== "" && !row.textContent.toLowerCase().includes(needle);
      }
    };
    box.addEventListener("input", narrow);
    box.addEventListener("change", narrow);
  }
});
