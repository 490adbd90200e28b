() => {
  // The sourcing memo is built on the server into the chat's data-memo; saved here as a file, so no file is served.
  const log = document.querySelector('#qa-chat .qa-log');
  const memo = log ? log.dataset.memo : '';
  if (!memo) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([memo], {type: 'text/markdown;charset=utf-8'}));
  a.download = 'sourcing-memo-' + new Date().toISOString().slice(0, 10) + '.md';
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}
