() => {
  // The question box's character count, against the limit the server enforces.
  const limit = Number(document.querySelector('#qa-count')?.dataset.limit || 2000);
  window.qaCount = (box) => {
    const count = document.querySelector('#qa-count');
    if (!count) return;
    const n = box.value.length;
    count.textContent = n ? `${n.toLocaleString('en')} / ${limit.toLocaleString('en')} characters`
                          : `Up to ${limit.toLocaleString('en')} characters`;
    count.classList.toggle('qa-over', n > limit);
    if (n > limit) count.textContent += ': too long, shorten it';
  };
  document.addEventListener('input', (e) => {
    if (e.target.matches && e.target.matches('#qa-question textarea')) window.qaCount(e.target);
  }, true);
}
