// The report's only script: search and sort the tables, and highlight the quote
// an evidence link lands on. It reads the page; it loads nothing.
(function () {
  "use strict";

  function filterTable(input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    var counter = document.getElementById(input.getAttribute("data-counter"));
    var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var text = row.textContent.toLowerCase();
      var match = terms.every(function (term) { return text.indexOf(term) >= 0; });
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    if (counter) { counter.textContent = String(shown); }
  }

  function cellKey(row, index) {
    var cell = row.cells[index];
    if (!cell) { return { number: NaN, text: "" }; }
    var sort = cell.getAttribute("data-sort");
    var text = sort !== null ? sort : cell.textContent.trim();
    return { number: sort !== null && sort !== "" ? Number(sort) : NaN, text: text };
  }

  function sortTable(table, header) {
    var index = header.cellIndex;
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellKey(a, index), y = cellKey(b, index), order;
      if (!isNaN(x.number) && !isNaN(y.number)) { order = x.number - y.number; }
      else if (!isNaN(x.number)) { order = -1; }
      else if (!isNaN(y.number)) { order = 1; }
      else { order = x.text.localeCompare(y.text); }
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function markTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    Array.prototype.forEach.call(document.querySelectorAll("mark.current"), function (m) {
      m.classList.remove("current");
    });
    if (!id) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("mark.q"), function (m) {
      var anchors = (m.getAttribute("data-q") || "").split(" ");
      if (anchors.indexOf(id) >= 0) { m.classList.add("current"); }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[data-table]"), function (input) {
    input.addEventListener("input", function () { filterTable(input); });
    filterTable(input);
  });
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      var button = th.querySelector("button");
      if (button) { button.addEventListener("click", function () { sortTable(table, th); }); }
    });
  });
  window.addEventListener("hashchange", markTarget);
  markTarget();
  document.documentElement.classList.add("js");
}());
