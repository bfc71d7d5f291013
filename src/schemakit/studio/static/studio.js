// schemakit studio: search as you type, filters that apply on change, and highlighting a
// table from its findings. The pages work without it.
"use strict";

(function search() {
  const input = document.getElementById("search");
  const list = document.getElementById("search-results");
  if (!input || !list) return;
  let timer = null;
  let asked = "";
  const render = (hits) => {
    list.replaceChildren();
    for (const hit of hits) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = "/service/" + encodeURIComponent(hit.service) + "?table=" +
        encodeURIComponent(hit.table) + "#t-" +
        encodeURIComponent(hit.table).replaceAll("%", "_");
      link.textContent = hit.table + (hit.column ? "." + hit.column + "  " + hit.type : "");
      item.append(link);
      list.append(item);
    }
    list.hidden = hits.length === 0;
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const query = input.value.trim();
      if (!query) { render([]); return; }
      asked = query;
      const response = await fetch("/api/search?q=" + encodeURIComponent(query));
      const hits = await response.json();
      if (asked === query) render(hits);
    }, 120);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { list.hidden = true; }
  });
  document.addEventListener("click", (event) => {
    if (!list.contains(event.target) && event.target !== input) list.hidden = true;
  });
})();

(function filters() {
  for (const select of document.querySelectorAll("form.filter select")) {
    select.addEventListener("change", () => select.form.submit());
  }
})();

(function focusTables() {
  const focus = (path) => {
    for (const node of document.querySelectorAll(".table.focus, .finding.focus")) {
      node.classList.remove("focus");
    }
    for (const edge of document.querySelectorAll("path.fk.lit")) edge.classList.remove("lit");
    if (!path) return;
    for (const node of document.querySelectorAll("[data-table]")) {
      if (node.dataset.table === path) node.classList.add("focus");
    }
    for (const edge of document.querySelectorAll("path.fk")) {
      if (edge.dataset.source === path || edge.dataset.target === path) edge.classList.add("lit");
    }
  };
  const fromHash = () => {
    const id = decodeURIComponent(location.hash.slice(1));
    const node = id && document.getElementById(id);
    if (node && node.dataset.table) {
      focus(node.dataset.table);
      node.scrollIntoView({ block: "center", inline: "center" });
    }
  };
  window.addEventListener("hashchange", fromHash);
  fromHash();
  for (const table of document.querySelectorAll("g.table")) {
    table.addEventListener("click", () => focus(table.dataset.table));
  }
})();
