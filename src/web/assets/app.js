// jobcraft workspace: what the server-rendered pages cannot do alone. Finding cards on the
// map, and zooming it. Everything works without this file, but for these.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const find = document.querySelector("[data-find]");
  if (find) {
    const cards = Array.from(document.querySelectorAll(find.dataset.find));
    const text = cards.map((card) => card.textContent.toLowerCase());
    const found = document.getElementById("found");
    find.addEventListener("input", () => {
      const needle = find.value.trim().toLowerCase();
      let hits = 0;
      cards.forEach((card, i) => {
        const hit = needle !== "" && text[i].includes(needle);
        card.classList.toggle("found", hit);
        if (hit) {
          hits += 1;
          // A hit inside a collapsed subtree is opened to.
          for (let d = card.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
        }
      });
      found.textContent = needle === "" ? "" : `${hits} found`;
      const first = document.querySelector(".card.found");
      if (first) first.scrollIntoView({ block: "center", inline: "nearest" });
    });
  }

  const tree = document.querySelector(".chart > .tree");
  let scale = 1;
  document.querySelectorAll("[data-zoom]").forEach((button) => {
    button.addEventListener("click", () => {
      const how = button.dataset.zoom;
      scale = how === "reset" ? 1 : Math.min(2, Math.max(0.3, scale * (how === "in" ? 1.25 : 0.8)));
      tree.style.transform = `scale(${scale})`;
      document.querySelector("[data-zoom=reset]").textContent = `${Math.round(scale * 100)} %`;
    });
  });

  // Panning: drag the chart's background.
  const chart = document.getElementById("chart");
  if (chart) {
    let drag = null;
    chart.addEventListener("pointerdown", (e) => {
      if (e.target.closest(".card, summary, a, button")) return;
      drag = { x: e.clientX, y: e.clientY, left: chart.scrollLeft, top: chart.scrollTop };
    });
    window.addEventListener("pointermove", (e) => {
      if (!drag) return;
      chart.scrollLeft = drag.left - (e.clientX - drag.x);
      chart.scrollTop = drag.top - (e.clientY - drag.y);
    });
    window.addEventListener("pointerup", () => { drag = null; });
  }
});
