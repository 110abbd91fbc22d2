/**
 * Baseline: a bare Socket.io relay with the server's transport settings, and nothing else: no auth, no
 * validation, no database. A client joins the rooms listed in its handshake (`auth.rooms`); on
 * `send-message` the relay broadcasts `new-message` to the room (sender included, as the server does)
 * and acks. `GET /health` answers 200 so the bench probes it like the real server.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const server = createServer((req, res) => {
  const ok = req.url === '/health';
  res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ success: ok, message: ok ? 'Relay is healthy' : 'Not found' }));
});
const io = new Server(server, {
  perMessageDeflate: false,
  httpCompression: false,
  transports: ['websocket', 'polling'],
  serveClient: false,
  maxHttpBufferSize: 100_000,
});
const seqs = new Map<string, number>();

io.on('connection', (socket) => {
  const rooms = (socket.handshake.auth as { rooms?: unknown }).rooms;
  if (Array.isArray(rooms)) socket.join(rooms.filter((r): r is string => typeof r === 'string'));
  socket.on('send-message', (payload: { room: string; content: string }, ack?: unknown) => {
    const seq = (seqs.get(payload.room) ?? 0) + 1;
    seqs.set(payload.room, seq);
    const message = {
      id: randomUUID(),
      room: payload.room,
      seq,
      sender: { id: socket.id },
      content: payload.content,
      type: 'text',
      createdAt: new Date().toISOString(),
    };
    io.to(payload.room).emit('new-message', message);
    if (typeof ack === 'function') ack({ success: true, data: message });
  });
});

server.listen(Number(process.env.PORT ?? 5001), process.env.HOST ?? '127.0.0.1');
const stop = () => {
  io.close();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
