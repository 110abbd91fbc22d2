import { displayName, formatSize, h, timeOf } from './dom';
import { presenceDot, state } from './state';
import type { FileInfo, Message } from './types';

export interface MessageActions {
  reply(m: Message): void;
  edit(m: Message): void;
  remove(m: Message): void;
  react(m: Message, emoji: string): void;
  /** A picture finished loading: the list may need to stay scrolled to the bottom. */
  imageLoaded(): void;
}

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '😮'];

/** The open room's messages in `seq` order, keyed by id so live events can update them in place. */
export class MessageList {
  private readonly byId = new Map<string, { msg: Message; el: HTMLElement }>();
  /** Cursor for older history (infinite scroll); null when the start of the room is loaded. */
  nextCursor: string | null = null;

  constructor(
    private readonly box: HTMLElement,
    private readonly actions: MessageActions,
  ) {}

  clear(): void {
    this.byId.clear();
    this.box.replaceChildren();
    this.nextCursor = null;
  }

  get lastSeq(): number {
    const last = this.box.lastElementChild as HTMLElement | null;
    return last ? Number(last.dataset.seq) : 0;
  }

  get firstSeq(): number {
    const first = this.box.firstElementChild as HTMLElement | null;
    return first ? Number(first.dataset.seq) : 0;
  }

  get lastMessage(): Message | undefined {
    const last = this.box.lastElementChild as HTMLElement | null;
    return last?.dataset.id ? this.byId.get(last.dataset.id)?.msg : undefined;
  }

  get(id: string): Message | undefined {
    return this.byId.get(id)?.msg;
  }

  nearBottom(): boolean {
    const b = this.box;
    return b.scrollHeight - b.scrollTop - b.clientHeight < 80;
  }

  scrollToBottom(): void {
    this.box.scrollTop = this.box.scrollHeight;
  }

  /** Adds or replaces a message, keeping `seq` order. */
  upsert(msg: Message): void {
    const known = this.byId.get(msg.id);
    const el = this.render(msg);
    this.byId.set(msg.id, { msg, el });
    if (known) return known.el.replaceWith(el);
    let after = this.box.lastElementChild as HTMLElement | null;
    while (after && Number(after.dataset.seq) > msg.seq)
      after = after.previousElementSibling as HTMLElement | null;
    if (after) after.after(el);
    else this.box.prepend(el);
  }

  /** Adds older messages at the top without moving what the reader is looking at. */
  prependOlder(messages: Message[]): void {
    const fromBottom = this.box.scrollHeight - this.box.scrollTop;
    for (const m of messages) this.upsert(m);
    this.box.scrollTop = this.box.scrollHeight - fromBottom;
  }

  remove(id: string): void {
    this.byId.get(id)?.el.remove();
    this.byId.delete(id);
  }

  highlight(id: string): boolean {
    const el = this.byId.get(id)?.el;
    if (!el) return false;
    el.scrollIntoView({ block: 'center' });
    el.classList.add('flash');
    setTimeout(() => el.classList.remove('flash'), 2000);
    return true;
  }

  private render(m: Message): HTMLElement {
    const data = { 'data-id': m.id, 'data-seq': m.seq };
    if (m.type === 'system') {
      return h(
        'div',
        { class: 'msg system', ...data },
        h('span', { text: m.content }),
        h('time', { text: timeOf(m.createdAt) }),
      );
    }
    const me = state.me?.id;
    const mine = m.sender?.id === me;
    const role = state.current ? state.rooms.get(state.current)?.myRole : null;
    const canDelete = mine || role === 'owner' || role === 'admin';
    const button = (text: string, title: string, onclick: () => void) =>
      h('button', { type: 'button', class: 'act', text, title, onclick });
    return h(
      'div',
      { class: mine ? 'msg mine' : 'msg', ...data },
      h(
        'div',
        { class: 'meta' },
        presenceDot(m.sender?.id),
        h('b', { class: 'author', text: displayName(m.sender) }),
        h('time', { text: timeOf(m.createdAt), title: m.createdAt }),
        m.editedAt && h('span', { class: 'edited', text: '(edited)', title: m.editedAt }),
      ),
      m.replyPreview &&
        h(
          'div',
          { class: 'quote' },
          h('b', { text: displayName(m.replyPreview.sender) }),
          m.replyPreview.deleted ? ' (deleted message)' : ` ${m.replyPreview.content}`,
        ),
      m.content && h('div', { class: 'content', text: m.content }),
      m.file && this.renderFile(m.file),
      h(
        'div',
        { class: 'reactions' },
        ...m.reactions.map((r) =>
          h('button', {
            type: 'button',
            class: me && r.userIds.includes(me) ? 'reaction own' : 'reaction',
            text: `${r.emoji} ${r.count}`,
            title: `${r.count} reacted with ${r.emoji}`,
            onclick: () => this.actions.react(m, r.emoji),
          }),
        ),
      ),
      h(
        'div',
        { class: 'actions' },
        ...QUICK_REACTIONS.map((e) => button(e, `React with ${e}`, () => this.actions.react(m, e))),
        button('↩', 'Reply', () => this.actions.reply(m)),
        mine && m.type === 'text' && button('✎', 'Edit', () => this.actions.edit(m)),
        canDelete && button('🗑', 'Delete', () => this.actions.remove(m)),
      ),
    );
  }

  private renderFile(f: FileInfo): HTMLElement {
    const label = `${f.name} (${formatSize(f.size)})`;
    if (f.mime.startsWith('image/')) {
      const img = h('img', { src: f.thumbnailUrl ?? f.url, alt: f.name, loading: 'lazy' });
      if (f.width && f.height) {
        // Reserve the box before the picture loads, so the list does not jump.
        const scale = Math.min(1, 320 / f.width, 240 / f.height);
        img.width = Math.round(f.width * scale);
        img.height = Math.round(f.height * scale);
      }
      img.addEventListener('load', () => this.actions.imageLoaded());
      return h(
        'figure',
        { class: 'file image' },
        h('a', { href: f.url, target: '_blank', rel: 'noopener' }, img),
        h('figcaption', { text: label }),
      );
    }
    if (f.mime.startsWith('video/')) {
      return h('figure', { class: 'file video' }, h('video', { src: f.url, controls: true }));
    }
    return h('a', {
      class: 'file doc',
      href: f.url,
      target: '_blank',
      rel: 'noopener',
      text: `📄 ${label}`,
    });
  }
}
