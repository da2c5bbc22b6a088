// Loaded on pages with widgets, after require.js and before the widget renderer (see
// docs/site/conf.py, nb_ipywidgets_js).
(function () {
  // 1. The renderer's modules and the fonts they load resolve to _static/vendor/html-manager/,
  //    next to this file, instead of the page's folder or a CDN.
  var here = document.currentScript.src;
  var vendor = here.slice(0, here.lastIndexOf("/") + 1) + "vendor/";
  require.config({paths: {"@jupyter-widgets/html-manager": vendor + "html-manager"}});

  // 2. The renderer typesets the widgets' labels with MathJax 2's MathJax.Hub.Queue; the site
  //    runs MathJax 3, which has no Hub.  Give each MathJax object (the configuration, then
  //    MathJax itself, which replaces it) a Hub whose Queue typesets with MathJax 3.
  function typeset(element) {
    var mathjax = window.MathJax;
    if (element && mathjax && mathjax.typesetPromise && mathjax.startup && mathjax.startup.promise) {
      mathjax.startup.promise = mathjax.startup.promise.then(function () {
        return mathjax.typesetPromise([element]);
      });
    }   // before MathJax has started, its first typeset of the whole page includes the element
  }
  function withHub(mathjax) {
    if (mathjax && typeof mathjax === "object" && !mathjax.Hub) {
      Object.defineProperty(mathjax, "Hub", {
        value: {Queue: function (job) { typeset(job && job[2]); }}, enumerable: false});
    }
    return mathjax;
  }
  var current = withHub(window.MathJax || {});
  Object.defineProperty(window, "MathJax", {
    configurable: true, enumerable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); }
  });

  // 3. Accessible names.  The renderer draws a slider's handle (role="slider") and its value
  //    box without a name: a screen reader would say "slider, 16" and not which one.  Each
  //    control is named by its description (the label drawn beside it), and each figure a widget
  //    drew from its saved output gets an alt text naming the widget (its bold title, else its
  //    controls).  Done whenever the renderer adds elements, since it draws after the page loads.
  var named = 0;
  function nameOf(control) {
    var label = control.querySelector(":scope > label.widget-label");
    if (!label || !label.textContent.trim()) {
      return null;
    }
    if (!label.id) {
      label.id = "widget-label-" + (++named);
    }
    return label;
  }
  var UNNAMED = [".jupyter-widgets [role='slider']:not([aria-label]):not([aria-labelledby])",
                 ".jupyter-widgets .widget-readout:not([aria-labelledby])"].join(", ");
  function nameControls(root) {
    root.querySelectorAll(UNNAMED).forEach(function (element) {
      var label = nameOf(element.closest(".widget-inline-hbox, .widget-inline-vbox") || element);
      if (!label) {
        return;
      }
      element.setAttribute("aria-labelledby", label.id);
      if (element.classList.contains("widget-readout")) {
        element.setAttribute("role", "textbox");   // an editable value box; a bare div may not carry a name
      }
    });
  }
  function topLevelView(element) {
    var view = element.closest(".jupyter-widgets");
    while (view && view.parentElement && view.parentElement.closest(".jupyter-widgets")) {
      view = view.parentElement.closest(".jupyter-widgets");
    }
    return view;
  }
  function widgetDescription(view) {
    var title = view && view.querySelector(".widget-html b, .widget-html strong, .widget-html h1, " +
                                           ".widget-html h2, .widget-html h3, .widget-html h4");
    var labels = view ? Array.from(view.querySelectorAll("label.widget-label"))
      .map(function (label) { return label.textContent.trim(); })
      .filter(function (text) { return text; }) : [];
    var controls = labels.length ? "controls: " + labels.join(", ") : "";
    if (title && title.textContent.trim()) {
      return title.textContent.trim() + (controls ? " (" + controls + ")" : "");
    }
    return controls || "no description";
  }
  function describeFigures(root) {
    root.querySelectorAll(".jupyter-widgets img:not([alt])").forEach(function (image) {
      image.alt = "Figure drawn by the widget: " + widgetDescription(topLevelView(image));
    });
  }
  function nameAll() {
    nameControls(document);
    describeFigures(document);
  }
  new MutationObserver(nameAll).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", nameAll);
})();
