import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Sockets whose current request keeps its response going after the client's FIN. */
const answeringAfterFin = new WeakSet<Socket>();

/**
 * A producer may shut down its write side (TCP FIN) once its body is complete and still read the
 * response; by default Node's server answers a FIN by ending its own side at once. node:http's
 * own switch for that, `httpAllowHalfOpen` (kept in core for userland servers; nodejs/node#36819),
 * covers every request, though: a GetMedia reader or a blocked playlist request whose client hung
 * up would then hold its slot until the next write failed. So the server allows half-open
 * connections and ends, as Node would, every socket whose request did not ask otherwise.
 */
export function endSocketsOnClientFin(http: Server): void {
  (http as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  http.on('connection', (socket: Socket) => {
    socket.on('end', () => {
      if (!answeringAfterFin.has(socket) && socket.writable) socket.end();
    });
  });
}

/**
 * The response to `req` goes on after the client's FIN (PutMedia: its acks are owed until every
 * fragment is persisted); the socket closes once the response is done. A FIN inside a chunk is
 * still a parse error that destroys the socket.
 */
export function answerAfterClientFin(req: IncomingMessage, res: ServerResponse): void {
  answeringAfterFin.add(req.socket);
  res.once('close', () => answeringAfterFin.delete(req.socket));
}
