#!/usr/bin/env python3
"""Seed 001's threaded group-chat server, as the tutorial writes it, for
bench/chat.sh: a list of client sockets, one thread per client, recv(1024)
and sendall to every other client, remove the client on error.

Changes from the tutorial, each needed to benchmark it at all: the port
comes from the command line and it listens on 127.0.0.1; a closed
connection (recv returns b'') and any socket error remove the client
(the tutorial loops forever on b'' and dies on BrokenPipeError); the
listen backlog is 1024 instead of 5; and it does not print every message.
"""
import socket
import sys
import threading


def handle_client(client_socket, address):
    while True:
        try:
            data = client_socket.recv(1024)
            if not data:
                raise ConnectionResetError
            # Broadcast to every other client.
            for sock in client_sockets[:]:
                if sock is not client_socket:
                    sock.sendall(data)
        except OSError:
            if client_socket in client_sockets:
                client_sockets.remove(client_socket)
            client_socket.close()
            break


port = int(sys.argv[1]) if len(sys.argv) > 1 else 8888
server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server_socket.bind(('127.0.0.1', port))
server_socket.listen(1024)
print(f"seedchat listening on 127.0.0.1:{port}", flush=True)

client_sockets = []

while True:
    client_socket, address = server_socket.accept()
    client_sockets.append(client_socket)
    client_thread = threading.Thread(target=handle_client, args=(client_socket, address), daemon=True)
    client_thread.start()
