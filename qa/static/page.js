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
  // The server also sets the box (New chat clears it, an error keeps it), and a value set by a
  // script fires no input event: count on every set of the question box's value too.
  const value = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value');
  Object.defineProperty(HTMLTextAreaElement.prototype, 'value', {
    configurable: true, enumerable: value.enumerable,
    get() { return value.get.call(this); },
    set(v) {
      value.set.call(this, v);
      if (this.closest && this.closest('#qa-question')) window.qaCount(this);
    },
  });
}
