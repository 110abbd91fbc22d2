import { api, qs } from './api';
import { barChart, type Point } from './admin-chart';
import { $, formatSize, h } from './dom';

/** The dashboard's activity panel: totals, a chart per daily figure, the busiest rooms. */

interface ActivityDay {
  day: string;
  messages: number;
  activeSenders: number;
  newUsers: number;
  uploads: number;
  uploadBytes: number;
}

interface ActivityStats {
  from: string;
  to: string;
  days: ActivityDay[];
  totals: { users: number; rooms: number; messages: number; storageBytes: number };
  busiestRooms: { room: { id: string; name: string; type: string }; messages: number }[];
}

const DAY_MS = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Loads the activity of the last `days` days. Rejects with the API's error (403 for non-admins). */
export async function loadActivity(days: number): Promise<void> {
  const now = Date.now();
  const stats = (
    await api<ActivityStats>(
      'GET',
      `/admin/stats?${qs({ from: utcDay(now - (days - 1) * DAY_MS), to: utcDay(now) })}`,
    )
  ).data;
  const t = stats.totals;
  $('#totals').replaceChildren(
    ...(
      [
        ['Users', String(t.users)],
        ['Rooms', String(t.rooms)],
        ['Messages', String(t.messages)],
        ['Storage', formatSize(t.storageBytes)],
      ] as const
    ).flatMap(([k, v]) => [h('div', {}, h('dt', { text: k }), h('dd', { text: v }))]),
  );
  const series = (pick: (d: ActivityDay) => number, note?: (d: ActivityDay) => string): Point[] =>
    stats.days.map((d) => ({ day: d.day, value: pick(d), note: note?.(d) }));
  const charts: [string, string, Point[]][] = [
    ['messages', 'Messages', series((d) => d.messages)],
    ['senders', 'Active senders', series((d) => d.activeSenders)],
    ['users', 'New users', series((d) => d.newUsers)],
    [
      'uploads',
      'Uploads',
      series(
        (d) => d.uploads,
        (d) => formatSize(d.uploadBytes),
      ),
    ],
  ];
  $('#charts').replaceChildren(
    ...charts.map(([id, label, points]) => {
      const sum = points.reduce((s, p) => s + p.value, 0);
      return h(
        'figure',
        { class: 'chart', 'data-chart': id },
        h('figcaption', {}, label, h('b', { text: String(sum) })),
        barChart(label, points),
      );
    }),
  );
  $('#busiest').replaceChildren(
    ...(stats.busiestRooms.length
      ? stats.busiestRooms.map((b) =>
          h(
            'li',
            {},
            h('span', { class: 'name', text: b.room.name }),
            h('span', { class: 'muted', text: b.room.type }),
            h('b', { text: String(b.messages) }),
          ),
        )
      : [h('li', { class: 'muted', text: 'No messages in this period.' })]),
  );
}
