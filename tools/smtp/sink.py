"""A real SMTP server for the tests (aiosmtpd, from PyPI): it accepts mail on 127.0.0.1:PORT and writes each message
it receives to DIR as NNNN.eml (the message as sent, after an `X-Envelope-To:` line with its recipients). A recipient
whose address starts with `reject` is refused with 550, as a mailbox that does not exist would be.

    python sink.py PORT DIR
"""

import itertools
import os
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, out):
        self.out = out
        self.count = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("reject"):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        path = os.path.join(self.out, f"{next(self.count):04}.eml")
        data = envelope.original_content or envelope.content
        with open(path + ".part", "wb") as f:
            f.write(b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(data)
        # Whole files only: a reader never sees half a message.
        os.rename(path + ".part", path)
        return "250 Message accepted"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    controller = Controller(Sink(out), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink on 127.0.0.1:{port}, writing to {out}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
