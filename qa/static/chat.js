// js_on_load of the chat log (#qa-chat): one delegated listener for markers, source cards,
// examples, "ask on its own" and copy; after each render, scroll to what changed.
const narrow = () => window.matchMedia('(max-width: 767px)').matches;

async function copy(btn) {
  const text = btn.dataset.copy;
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {  // no clipboard API (plain http on another host): the old way
    const area = document.createElement('textarea');
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  btn.textContent = 'Copied ✓';
  setTimeout(() => { btn.textContent = 'Copy with citation'; }, 1500);
}

element.addEventListener('click', (ev) => {
  const t = ev.target.closest('[data-open],[data-alone],[data-ask],[data-copy]');
  if (!t || !element.contains(t)) return;
  if (t.dataset.copy !== undefined) { copy(t); return; }
  if (t.dataset.open) {
    const [turn, n] = t.dataset.open.split(':').map(Number);
    trigger('click', {act: 'open', turn: turn, n: n});
  } else if (t.dataset.alone !== undefined) {
    trigger('click', {act: 'alone', turn: Number(t.dataset.alone)});
  } else if (t.dataset.ask) {
    trigger('click', {act: 'ask', question: t.dataset.ask});
  }
});

// Sources a person unfolded stay unfolded when the chat is drawn again (on a desktop all are).
const unfolded = new Set();
element.addEventListener('toggle', (ev) => {
  const d = ev.target;
  if (d.matches && d.matches('details.qa-srcs')) d.open ? unfolded.add(d.dataset.turn) : unfolded.delete(d.dataset.turn);
}, true);

function centre(box, mark) {  // the quote a third of the way down its scrolling box
  if (box && mark) box.scrollTop = Math.max(0, mark.offsetTop - box.clientHeight / 3);
}

function reveal(el) {  // bring the top of el into view, above the pinned question box; never jump to the bottom
  const r = el.getBoundingClientRect();
  const compose = document.querySelector('#qa-compose');
  const bottom = compose ? compose.getBoundingClientRect().top : window.innerHeight;
  if (r.top < 0 || r.top > bottom - 80) window.scrollBy({top: r.top - 12, behavior: 'instant'});
}

watch('value', () => {
  const log = element.querySelector('.qa-log');
  const count = document.querySelector('#qa-count');
  const box = document.querySelector('#qa-question textarea');
  if (count && box && window.qaCount) window.qaCount(box);
  if (!log) return;
  if (log.classList.contains('qa-empty')) unfolded.clear();
  element.querySelectorAll('details.qa-srcs').forEach((d) => { d.open = !narrow() || unfolded.has(d.dataset.turn); });
  const focus = log.dataset.focus || '';
  requestAnimationFrame(() => {
    if (focus.startsWith('turn-')) {
      const turn = element.querySelector('#qa-' + focus);
      (window.qaTimings = window.qaTimings || []).push({computed: Number(log.dataset.computed), shown: Date.now()});
      if (turn) reveal(turn);
    } else if (focus === 'view' && narrow()) {
      const inline = element.querySelector('.qa-inline');
      if (inline) {
        reveal(inline);
        centre(inline.querySelector('.qa-article'), inline.querySelector('mark.qa-hit'));
      }
    }
  });
});
