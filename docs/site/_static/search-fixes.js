// The theme's search on every page: buttons named as they read, snippets from the page's text.
// Loaded deferred on every page (docs/site/conf.py, html_js_files): after Sphinx's searchtools.js,
// before the search page starts searching.
(function () {
  // 1. The search buttons read "Search Ctrl+K" but are named "Search" (aria-label): a speech-input
  //    user saying what they see would miss, and axe-core reports it (label-content-name-mismatch,
  //    WCAG 2.5.3 "Label in Name").  Without the aria-label the name is the visible text.
  document.querySelectorAll(".search-button-field[aria-label]").forEach(function (button) {
    if (button.textContent.trim()) {
      button.removeAttribute("aria-label");
    }
  });

  // 2. Sphinx cuts each result's snippet out of the text of the result page's [role="main"]
  //    element.  In the book theme that element also holds the article's header (the colour-mode
  //    menu, whose labels "System Settings Light Dark" would start every snippet), the "Contents"
  //    sidebar, the links to the previous and next page and a print-only copy of the title:
  //    remove those from the fetched page before Sphinx reads its text.  The template's
  //    indentation left before the title would still count as text (and earn a leading "..."):
  //    runs of white space become one space, as the browser shows them anyway.
  var CHROME = [".bd-header-article", ".bd-sidebar-secondary", ".prev-next-area",
                "#jb-print-docs-body", ".bd-footer-article", ".bd-footer-content"].join(", ");
  if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") {
    return;   // a page without Sphinx's search
  }
  var htmlToText = Search.htmlToText;
  Search.htmlToText = function (htmlString, anchor) {
    var page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(CHROME).forEach(function (element) { element.remove(); });
    return htmlToText.call(this, page.documentElement.outerHTML, anchor).replace(/\s+/g, " ").trim();
  };
})();
