// The demo client's service worker: shows a Web Push (the JSON SPEC describes) as a notification and
// opens the room when it is clicked.
self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { preview: event.data ? event.data.text() : '' };
  }
  const who = data.sender ? data.sender.username : 'Someone';
  const where = data.roomName ? ` in ${data.roomName}` : '';
  event.waitUntil(
    self.registration.showNotification(`${who}${where}`, {
      body: data.preview || '',
      tag: data.messageId,
      data: { room: data.room },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const room = event.notification.data && event.notification.data.room;
  const url = room ? `/#room=${encodeURIComponent(room)}` : '/';
  event.waitUntil(
    self.clients.matchAll({ type: 'window' }).then((windows) => {
      for (const w of windows) if ('focus' in w) return w.focus();
      return self.clients.openWindow(url);
    }),
  );
});
