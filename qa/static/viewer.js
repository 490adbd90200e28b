// js_on_load of the article viewer beside the chat (#qa-viewer): after each render, scroll the
// article (not the page) so the highlighted quote is in view.
watch('value', () => {
  requestAnimationFrame(() => {
    const box = element.querySelector('.qa-article');
    const mark = element.querySelector('mark.qa-hit');
    if (box && mark) box.scrollTop = Math.max(0, mark.offsetTop - box.clientHeight / 3);
  });
});
