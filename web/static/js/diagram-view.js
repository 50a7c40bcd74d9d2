// Stator diagram viewport: pan by dragging, zoom with the wheel, pinch and
// the toolbar buttons (around the pointer, or the pane's centre), fit, 100%,
// follow the active state, full screen. The SVG sits in a wrapper
// (.stator-canvas) that vendor/panzoom.min.js (@panzoom/panzoom) moves with a
// CSS transform, so none of this redraws the diagram.
//
// API (window.StatorDiagramView):
//   get(container) -> view of the diagram container (#diagram), created once:
//     view.canvas            the wrapper element the SVG goes in
//     view.scale()           the current scale (1 = 100%), also in container's data-zoom
//     view.zoomBy(f, point?) multiplies the scale around a client point (default: the centre)
//     view.zoomTo(s, point?)
//     view.fit()             the whole diagram in the pane (never above 100%)
//     view.home()            the first view of a machine: fit, but not below
//                            MIN_READABLE, then the top of the diagram
//     view.reveal(elements)  brings elements into view when any is outside it
//     view.swapped(w, h)     after a new SVG of size w×h went into the canvas:
//                            keeps what is under the pane's centre where it was
//     view.following         whether the active state is followed (toolbar toggle)
//     view.touched           whether the person moved the view since the last fit
//     view.anchors, view.onfollow  set by diagram.js: what home() centres on,
//                            and how to bring the active state into view
//
// The toolbar is found next to the container, in its .diagram-wrap, by
// data-testid: diagram-zoom-in, diagram-zoom-out, diagram-fit, diagram-100,
// diagram-follow, diagram-fullscreen; the zoom level shows in .diagram-zoom-level.
(function () {
  "use strict";

  var MIN_SCALE = 0.02;
  var MAX_SCALE = 4;
  var MIN_READABLE = 0.75; // a first view below this shows the top at this scale instead
  var MARGIN = 16;         // px kept free around a fitted or revealed drawing
  var views = new WeakMap();

  function get(container) {
    var v = views.get(container);
    if (!v) {
      v = create(container);
      views.set(container, v);
    }
    return v;
  }

  function create(container) {
    var canvas = container.querySelector(":scope > .stator-canvas");
    if (!canvas) {
      canvas = document.createElement("div");
      canvas.className = "stator-canvas";
      container.appendChild(canvas);
    }
    var wrap = container.closest(".diagram-wrap") || container.parentElement;
    var size = { w: 0, h: 0 };
    var pz = window.Panzoom(canvas, {
      canvas: true, // drag anywhere in the pane
      minScale: MIN_SCALE,
      maxScale: MAX_SCALE,
      step: 0.25,
      cursor: "grab",
      overflow: "hidden",
      animate: false,
      // leave form controls and links inside the pane alone
      exclude: [],
      handleStartEvent: function (e) {
        if (e.target.closest && e.target.closest("button, select, input, a, .diagram-notice")) return;
        e.preventDefault();
      }
    });

    var view = {
      canvas: canvas,
      following: true,
      touched: false,
      scale: function () { return pz.getScale(); },
      zoomBy: function (f, point) { zoomTo(pz.getScale() * f, point); view.touched = true; },
      zoomTo: function (s, point) { zoomTo(s, point); view.touched = true; },
      fit: fit,
      home: home,
      reveal: reveal,
      swapped: swapped,
      size: function () { return { w: size.w, h: size.h }; }
    };

    function report() {
      var s = pz.getScale(), pan = pz.getPan();
      // Panzoom writes the transform in the next animation frame: write it
      // now, so that what is measured right after a move is where it went
      canvas.style.transform = "scale(" + s + ") translate(" + pan.x + "px, " + pan.y + "px)";
      container.setAttribute("data-zoom", String(Math.round(s * 1000) / 1000));
      var label = wrap && wrap.querySelector(".diagram-zoom-level");
      if (label) label.textContent = Math.round(s * 100) + "%";
    }
    canvas.addEventListener("panzoomchange", report);

    // the pane's centre, in client coordinates
    function centre() {
      var r = container.getBoundingClientRect();
      return { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2 };
    }
    function zoomTo(s, point) {
      s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, s));
      pz.zoomToPoint(s, point || centre(), { animate: false });
      report();
    }
    // place sets scale s and the pan that puts canvas point (qx, qy) at the
    // pane point (px, py). Panzoom transforms with scale(s) translate(x, y)
    // around the canvas's centre c: pane = c + s * (q + t - c).
    var settled = false, pending = null;
    // Panzoom pans to its start in a timeout after it is made: placements
    // made before that are made again after it
    setTimeout(function () {
      settled = true;
      if (pending) place.apply(null, pending);
    });
    function place(s, qx, qy, px, py) {
      if (!settled) pending = [s, qx, qy, px, py];
      s = Math.min(MAX_SCALE, Math.max(MIN_SCALE, s));
      var cx = size.w / 2, cy = size.h / 2;
      pz.zoom(s, { animate: false, force: true });
      pz.pan((px - cx) / s + cx - qx, (py - cy) / s + cy - qy, { animate: false, force: true });
      report();
    }
    function pane() {
      return { w: container.clientWidth, h: container.clientHeight };
    }
    function fitScale() {
      var p = pane();
      if (!size.w || !size.h || !p.w || !p.h) return 1;
      return Math.min(1, (p.w - 2 * MARGIN) / size.w, (p.h - 2 * MARGIN) / size.h);
    }
    function fit() {
      var p = pane();
      place(fitScale(), size.w / 2, size.h / 2, p.w / 2, p.h / 2);
      view.touched = false;
      view.mode = "fit";
    }
    // home is the first view: the whole drawing when it is readable so,
    // else MIN_READABLE at the top of the drawing, across centred on the
    // anchors (the active states, or the start) when it does not fit across.
    function home(anchors) {
      var s = fitScale();
      if (s >= MIN_READABLE) { fit(); view.mode = "home"; return; }
      var p = pane();
      var qx = size.w / 2;
      if (size.w * MIN_READABLE > p.w - 2 * MARGIN) {
        var box = null;
        (anchors || []).forEach(function (el) {
          var r = canvasBox(el);
          if (r) box = box ? { l: Math.min(box.l, r.l), r: Math.max(box.r, r.r) } : r;
        });
        var half = (p.w / 2 - MARGIN) / MIN_READABLE;
        qx = box ? Math.min(Math.max((box.l + box.r) / 2, half), size.w - half) : half;
      }
      place(MIN_READABLE, qx, (p.h / 2 - MARGIN) / MIN_READABLE, p.w / 2, p.h / 2);
      view.touched = false;
      view.mode = "home";
    }
    function swapped(w, h) {
      // keep the canvas point under the pane's centre where it was: with the
      // transform's origin at the canvas centre, a new size moves it
      var s = pz.getScale(), pan = pz.getPan();
      var oldC = { x: size.w / 2, y: size.h / 2 };
      size.w = w;
      size.h = h;
      canvas.style.width = w + "px";
      canvas.style.height = h + "px";
      var c = { x: w / 2, y: h / 2 };
      pz.pan(pan.x + (oldC.x - c.x) * (1 - s) / s, pan.y + (oldC.y - c.y) * (1 - s) / s, { animate: false, force: true });
      report();
    }
    // reveal pans (and zooms out if it must) so that all elements show.
    // canvasBox is where an element of the SVG is, in canvas coordinates
    // (the SVG at 100%), whatever the transform.
    function canvasBox(el) {
      var svg = canvas.firstElementChild;
      if (!svg) return null;
      var sr = svg.getBoundingClientRect(), r = el.getBoundingClientRect();
      var k = sr.width / (size.w || sr.width || 1);
      if (!k || (!r.width && !r.height)) return null;
      return { l: (r.left - sr.left) / k, t: (r.top - sr.top) / k, r: (r.right - sr.left) / k, b: (r.bottom - sr.top) / k };
    }
    // onPane is where canvas point (qx, qy) shows in the pane now.
    function onPane(qx, qy) {
      var s = pz.getScale(), pan = pz.getPan(), cx = size.w / 2, cy = size.h / 2;
      return { x: cx + s * (qx + pan.x - cx), y: cy + s * (qy + pan.y - cy) };
    }
    function reveal(elements) {
      if (!elements || !elements.length) return false;
      var box = null;
      elements.forEach(function (el) {
        var r = canvasBox(el);
        if (!r) return;
        box = box ? { l: Math.min(box.l, r.l), t: Math.min(box.t, r.t), r: Math.max(box.r, r.r), b: Math.max(box.b, r.b) } : r;
      });
      if (!box) return false;
      var p = pane();
      var a = onPane(box.l, box.t), b = onPane(box.r, box.b);
      if (a.x >= MARGIN && a.y >= MARGIN && b.x <= p.w - MARGIN && b.y <= p.h - MARGIN) return false;
      var s = pz.getScale();
      var need = Math.min(s, (p.w - 2 * MARGIN) / (box.r - box.l || 1), (p.h - 2 * MARGIN) / (box.b - box.t || 1));
      place(Math.max(MIN_SCALE, need), (box.l + box.r) / 2, (box.t + box.b) / 2, p.w / 2, p.h / 2);
      return true;
    }

    // wheel zooms around the pointer; pinch and drag are Panzoom's
    container.addEventListener("wheel", function (e) {
      if (e.target.closest && e.target.closest(".diagram-notice")) return;
      pz.zoomWithWheel(e, { step: 0.25 });
      view.touched = true;
      report();
    }, { passive: false });
    // a drag is not a click on what it started on
    var down = null;
    container.addEventListener("pointerdown", function (e) { down = { x: e.clientX, y: e.clientY }; }, true);
    container.addEventListener("pointermove", function (e) {
      if (down && e.buttons && Math.abs(e.clientX - down.x) + Math.abs(e.clientY - down.y) > 4) {
        view.touched = true;
        container.classList.add("stator-panning");
      }
    }, true);
    container.addEventListener("click", function (e) {
      if (container.classList.contains("stator-panning")) {
        e.stopPropagation();
        e.preventDefault();
      }
      container.classList.remove("stator-panning");
      down = null;
    }, true);
    container.addEventListener("pointerup", function () {
      setTimeout(function () { container.classList.remove("stator-panning"); }, 0);
    });

    // keep a fitted view fitted when the pane changes size
    if (window.ResizeObserver) {
      var last = pane();
      new ResizeObserver(function () {
        var p = pane();
        if (p.w === last.w && p.h === last.h) return;
        last = p;
        if (view.touched || !size.w) return;
        if (view.mode === "fit") fit();
        else home(view.anchors ? view.anchors() : []);
        if (view.following && view.onfollow) view.onfollow();
      }).observe(container);
    }

    if (wrap) toolbar(wrap, view);
    report();
    return view;
  }

  function toolbar(wrap, view) {
    function on(id, fn) {
      var b = wrap.querySelector('[data-testid="' + id + '"]');
      if (b) b.addEventListener("click", fn);
      return b;
    }
    on("diagram-zoom-in", function () { view.zoomBy(1.25); });
    on("diagram-zoom-out", function () { view.zoomBy(0.8); });
    on("diagram-fit", function () { view.fit(); });
    on("diagram-100", function () { view.zoomTo(1); });
    var follow = on("diagram-follow", function () {
      view.following = !view.following;
      follow.setAttribute("aria-pressed", String(view.following));
      if (view.following && view.onfollow) view.onfollow();
    });
    if (follow) follow.setAttribute("aria-pressed", "true");
    var full = on("diagram-fullscreen", function () {
      var isFull = document.fullscreenElement === wrap || wrap.classList.contains("diagram-full");
      if (isFull) {
        if (document.fullscreenElement === wrap) document.exitFullscreen();
        else setFull(false);
      } else if (wrap.requestFullscreen) {
        wrap.requestFullscreen().catch(function () { setFull(true); });
      } else {
        setFull(true);
      }
    });
    function setFull(onoff) {
      wrap.classList.toggle("diagram-full", onoff);
      if (full) full.setAttribute("aria-pressed", String(onoff));
      requestAnimationFrame(function () { view.fit(); });
    }
    document.addEventListener("fullscreenchange", function () {
      var onoff = document.fullscreenElement === wrap;
      if (full) full.setAttribute("aria-pressed", String(onoff));
      requestAnimationFrame(function () { view.fit(); });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && wrap.classList.contains("diagram-full")) setFull(false);
    });
  }

  window.StatorDiagramView = { get: get };
  // make the views now, before the first drawing arrives
  document.querySelectorAll(".diagram-pane > .diagram").forEach(function (c) { get(c); });
})();
