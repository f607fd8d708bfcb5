/* WCAG 2 contrast of every visible text on the page (4.5:1 for AA) and of what the chart
 * draws on white: its lines, ranges and markers (3:1, non-text contrast), its axes' text.
 * Returns [{text, ratio, section, line?}]: section is the id of the text's page section
 * ("" outside one). */
() => {
  const parse = (c) => {
    const p = c.match(/[\d.]+/g).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1 });
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      layers.push(parse(getComputedStyle(e).backgroundColor));
    }
    const white = { r: 255, g: 255, b: 255, a: 1 };
    return layers.reverse().reduce((under, layer) => over(layer, under), white);
  };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === "hidden" || el.closest("[hidden]")
        || el.closest(".visually-hidden") || el.closest("script")) continue;
    const bg = background(el);
    found.push({ text: walker.currentNode.textContent.trim().slice(0, 40),
                 ratio: ratio(over(parse(style.color), bg), bg),
                 section: (el.closest("section") || {}).id || "" });
  }
  const hex = (h) => ({ r: parseInt(h.slice(1, 3), 16), g: parseInt(h.slice(3, 5), 16),
                        b: parseInt(h.slice(5, 7), 16), a: 1 });
  const white = { r: 255, g: 255, b: 255, a: 1 };
  const drawn = (c) => (c.text ? { text: "chart text " + c.key, ratio: ratio(hex(c.color), white) }
    : { text: "line " + c.key, ratio: ratio(hex(c.color), white), line: true });
  return found.concat(SBCharts.colors(document.getElementById("trend-figure")).map(drawn));
}
