() => {
  const vw = document.documentElement.clientWidth;
  const visible = e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '');
  const out = {scroll: document.documentElement.scrollWidth - vw, wide: [], clipped: [], overlaps: [], blocks: []};
  for (const e of document.querySelectorAll('body *')) {
    if (!visible(e) || e.closest('svg')) continue;
    const r = e.getBoundingClientRect();
    if (r.right > vw + 0.5 || r.left < -0.5) out.wide.push(name(e) + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0 && !['HTML','BODY'].includes(e.tagName)) out.clipped.push(name(e) + ' ' + e.scrollWidth + '>' + e.clientWidth);
  }
  const hit = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;
  for (const svg of document.querySelectorAll('svg.chart')) {
    const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(t => [t.textContent.trim(), t.getBoundingClientRect()]);
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++)
      if (hit(texts[i][1], texts[j][1])) out.overlaps.push(svg.closest('figure').id + ': ' + texts[i][0] + ' / ' + texts[j][0]);
  }
  // What of an element shows: its box cut by every ancestor that clips (a scroll box).
  const shown = e => { let r = e.getBoundingClientRect(); let box = {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    for (let a = e.parentElement; a; a = a.parentElement) { if (getComputedStyle(a).overflowY === 'visible' && getComputedStyle(a).overflowX === 'visible') continue;
      const c = a.getBoundingClientRect(); box = {left: Math.max(box.left, c.left), right: Math.min(box.right, c.right), top: Math.max(box.top, c.top), bottom: Math.min(box.bottom, c.bottom)}; }
    return box; };
  const blocks = [...document.querySelectorAll('h1, h2, h3, svg.chart, figcaption, table.legend, .card, nav.toc, .search, .banner')].filter(visible);
  for (let i = 0; i < blocks.length; i++) for (let j = i + 1; j < blocks.length; j++) {
    if (blocks[i].contains(blocks[j]) || blocks[j].contains(blocks[i])) continue;
    if (blocks[i].matches('nav.toc') || blocks[j].matches('nav.toc')) continue;
    if (hit(shown(blocks[i]), shown(blocks[j]))) out.blocks.push(name(blocks[i]) + ' / ' + name(blocks[j]));
  }
  return out;
}
