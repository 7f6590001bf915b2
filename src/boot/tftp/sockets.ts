/**
 * Where the TFTP server's UDP sockets come from. By default they are created in this process's network
 * namespace; a caller serving a DHCP attachment in another namespace (docs/architecture.md §8) creates them there (a
 * helper hands them over) and passes a listen socket and a `TransferSockets` of its own.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';

export interface TransferSockets {
  /** A UDP socket bound to an ephemeral port on the server's address, not connected. */
  open(): Promise<dgram.Socket>;
  /**
   * The transfer is over; the socket is disconnected and the server's listeners are removed: close it or
   * keep it for another transfer (a kept socket needs an 'error' listener of its keeper).
   */
  release(socket: dgram.Socket): void;
}

function bind(socket: dgram.Socket, address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

export function bindListenSocket(host: string, port: number): Promise<dgram.Socket> {
  return bind(dgram.createSocket(isIPv6(host) ? 'udp6' : 'udp4'), host, port);
}

/** A new socket per transfer on `host`, closed when the transfer ends. */
export function localTransferSockets(host: string): TransferSockets {
  return {
    open: () => bind(dgram.createSocket(isIPv6(host) ? 'udp6' : 'udp4'), host, 0),
    release: (socket) => socket.close(),
  };
}
