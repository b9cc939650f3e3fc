// Keyboard shortcuts for the work lists and the whole UI. Our own small script (no framework):
// every shortcut is a plain link or control on the page, so nothing here is needed to use
// Trellis; it only saves the mouse. Press ? for the list.
(function () {
  "use strict";
  var GO = { i: "/incidents", r: "/service-requests", p: "/problems", k: "/articles", n: "/notifications", s: "/saved-filters" };
  var HELP = [
    ["/", "Search this list (or everything)"],
    ["j / k", "Next / previous row"],
    ["o or Enter", "Open the row"],
    ["x", "Tick the row for a bulk change"],
    ["c", "Create a new record"],
    ["g then i, r, p, k, n, s", "Go to incidents, requests, problems, knowledge, notifications, saved filters"],
    ["?", "Show or hide this list"],
    ["Esc", "Leave a field, close this list"]
  ];
  var pendingG = false;
  var pendingTimer = null;
  var NOT_TEXT = ["checkbox", "radio", "button", "submit", "reset", "file", "image", "color", "range"];

  // A field the key is meant for: not a ticked checkbox or a pressed button, which keep the
  // focus after a click but take no letters.
  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    if (tag === "INPUT") return NOT_TEXT.indexOf((el.type || "text").toLowerCase()) < 0;
    return tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }
  function clearG() {
    pendingG = false;
    if (pendingTimer) { clearTimeout(pendingTimer); pendingTimer = null; }
  }
  function rows() {
    var t = document.querySelector("main table.list");
    return t ? Array.prototype.slice.call(t.querySelectorAll("tbody tr")).filter(function (r) { return r.querySelector("a"); }) : [];
  }
  function current(list) {
    for (var i = 0; i < list.length; i++) if (list[i].classList.contains("kbd-current")) return i;
    return -1;
  }
  function move(step) {
    var list = rows();
    if (!list.length) return;
    var i = current(list);
    if (i >= 0) list[i].classList.remove("kbd-current");
    i = i < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, i + step));
    list[i].classList.add("kbd-current");
    list[i].setAttribute("aria-current", "true");
    list[i].scrollIntoView({ block: "nearest" });
    list.forEach(function (r, j) { if (j !== i) r.removeAttribute("aria-current"); });
  }
  function currentRow() {
    var list = rows();
    var i = current(list);
    return i >= 0 ? list[i] : null;
  }
  function help() {
    var d = document.getElementById("keys-help");
    if (d) { d.open ? d.close() : d.showModal(); return; }
    d = document.createElement("dialog");
    d.id = "keys-help";
    d.setAttribute("aria-label", "Keyboard shortcuts");
    var h = document.createElement("h2");
    h.textContent = "Keyboard shortcuts";
    d.appendChild(h);
    var dl = document.createElement("dl");
    HELP.forEach(function (pair) {
      var dt = document.createElement("dt");
      dt.textContent = pair[0];
      var dd = document.createElement("dd");
      dd.textContent = pair[1];
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    d.appendChild(dl);
    document.body.appendChild(d);
    d.showModal();
  }
  function search() {
    var box = document.querySelector("main form[role=search] input[type=search]") ||
      document.querySelector("form.topsearch input[type=search]");
    if (box) { box.focus(); box.select(); }
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape") {
      if (typing(document.activeElement)) document.activeElement.blur();
      clearG();
      return;
    }
    if (typing(e.target)) { clearG(); return; }
    // While the list of shortcuts is open, only ? (and Esc, the dialog's own) act.
    var dialog = document.getElementById("keys-help");
    if (dialog && dialog.open && e.key !== "?") return;
    if (pendingG) {
      clearG();
      if (GO[e.key]) { e.preventDefault(); window.location.assign(GO[e.key]); }
      return;
    }
    var row;
    switch (e.key) {
      case "g":
        pendingG = true;
        pendingTimer = setTimeout(clearG, 1500);
        return;
      case "/": e.preventDefault(); search(); return;
      case "j": e.preventDefault(); move(1); return;
      case "k": e.preventDefault(); move(-1); return;
      case "?": e.preventDefault(); help(); return;
      case "o":
      case "Enter":
        // Enter on a focused link or button is that control's own; only on the page itself
        // does it open the current row.
        if (e.key === "Enter" && e.target !== document.body) return;
        row = currentRow();
        if (row) { e.preventDefault(); row.querySelector("a").click(); }
        return;
      case "x":
        row = currentRow();
        var box = row && row.querySelector("input[type=checkbox]");
        if (box) { e.preventDefault(); box.click(); }
        return;
      case "c":
        var create = document.querySelector("main [data-key=c]");
        if (create) { e.preventDefault(); create.click(); }
        return;
    }
  });
})();
