// Confab's phone card for the business's other tools. Include it once with an API token
// (Confab › API tokens) and every `<span data-confab-phone="+5511987654321">` shows the
// client and their conversations on hover, focus or tap, as in Confab:
//
//   <script src="https://inbox.example.com/confab-card.js" data-token="cfb_…" defer></script>
//   <span data-confab-phone="+5511987654321">+55 11 98765-4321</span>
//
// Everything from Confab is put in the page as text, never as HTML.
(() => {
  const script = document.currentScript;
  if (!script) return;
  const base = new URL(script.src).origin;
  const token = script.dataset.token || '';
  const cards = new Map();

  const style = document.createElement('style');
  style.textContent = `
    .confab-phone { cursor: pointer; text-decoration: underline dotted; position: relative; }
    .confab-card { position: absolute; z-index: 2147483000; top: 100%; left: 0; min-width: 16rem; max-width: 22rem;
      padding: .75rem; background: #fff; color: #101828; border: 1px solid #d0d5dd; border-radius: 10px;
      box-shadow: 0 8px 24px rgba(0,0,0,.15); font: 14px/1.4 system-ui, sans-serif; text-align: left; }
    .confab-card a { color: #1d4ed8; }
    .confab-card ul { list-style: none; margin: .5rem 0 0; padding: 0; }
    .confab-card li { display: flex; gap: .4rem; align-items: center; padding: .2rem 0; }
    .confab-card .confab-meta { color: #667085; font-size: 12px; }
    .confab-card .confab-unread { background: #2563eb; color: #fff; border-radius: 999px; padding: 0 .45rem; font-size: 12px; }
    .confab-card .confab-awaiting { width: .5rem; height: .5rem; border-radius: 50%; background: #2563eb; display: inline-block; }`;
  document.head.appendChild(style);

  function fetchCard(phone) {
    if (!cards.has(phone)) {
      const url = `${base}/api/v1/phone-card?phone=${encodeURIComponent(phone)}`;
      cards.set(phone, fetch(url, { headers: { authorization: `Bearer ${token}` } })
        .then((r) => r.json().then((body) => (r.ok ? body : Promise.reject(new Error(body.message || `HTTP ${r.status}`))))));
    }
    return cards.get(phone);
  }

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    Object.assign(node, props);
    for (const child of children) node.append(child);
    return node;
  }

  function render(box, card) {
    box.replaceChildren();
    if (card.client) {
      box.append(el('a', { href: `${base}/clients/${card.client.id}`, target: '_blank', rel: 'noopener' },
        el('strong', { textContent: card.client.name })));
      box.append(el('div', { className: 'confab-meta', textContent: card.client.phones_display.join(', ') }));
    }
    if (!card.client && card.conversations.length === 0) {
      box.append(el('div', { className: 'confab-meta', textContent: 'No client or conversation has this number yet.' }));
    }
    const list = el('ul');
    for (const c of card.conversations) {
      const item = el('li', {}, el('a', {
        href: `${base}/conversations/${c.id}`, target: '_blank', rel: 'noopener',
        textContent: `${c.contact_name} · ${c.channel_name}`,
      }));
      if (c.unread_count > 0) item.append(el('span', { className: 'confab-unread', textContent: String(c.unread_count) }));
      else if (c.awaiting_reply) item.append(el('span', { className: 'confab-awaiting', title: 'Awaiting reply' }));
      list.append(item);
    }
    if (card.conversations.length) box.append(list);
  }

  function attach(target) {
    if (target.dataset.confabReady) return;
    target.dataset.confabReady = '1';
    target.classList.add('confab-phone');
    if (!target.hasAttribute('tabindex')) target.tabIndex = 0;
    let box = null;
    const hide = () => { box?.remove(); box = null; };
    const show = () => {
      if (box) return;
      box = el('div', { className: 'confab-card', role: 'dialog', textContent: 'Looking up the number…' });
      box.dataset.confabCard = '';
      target.append(box);
      const shown = box;
      fetchCard(target.dataset.confabPhone)
        .then((card) => { if (box === shown) render(shown, card); })
        .catch((err) => { if (box === shown) shown.textContent = err.message; });
    };
    target.addEventListener('mouseenter', show);
    target.addEventListener('mouseleave', hide);
    target.addEventListener('focusin', show);
    target.addEventListener('focusout', (e) => { if (!target.contains(e.relatedTarget)) hide(); });
    target.addEventListener('click', (e) => { if (!box) { show(); e.preventDefault(); } });
    target.addEventListener('keydown', (e) => { if (e.key === 'Escape') hide(); });
  }

  const scan = (root) => root.querySelectorAll?.('[data-confab-phone]').forEach(attach);
  scan(document);
  new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach((n) => {
    if (n.nodeType !== 1) return;
    if (n.matches('[data-confab-phone]')) attach(n);
    scan(n);
  }))).observe(document.documentElement, { childList: true, subtree: true });
})();
