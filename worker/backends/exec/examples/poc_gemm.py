#!/usr/bin/env python3
"""Reference program for meshd-worker's exec backend (protocol v1).

Reads {"op":"poc_gemm","seed":"<hex>","m":M,"n":N,"p":P} on stdin and writes
{"rows_b64": base64(C as M*P int32 little-endian, row-major)} on stdout, or
{"error": "..."} and exits non-zero.

A and B follow x/compute/poc exactly:
  A row i = first N bytes of SHAKE128(seed || b"A" || i as 4 bytes big-endian), as int8
  B       = first N*P bytes of SHAKE128(seed || b"B"), as int8, row-major N x P
  C       = A @ B with int32 accumulation (exact: |C| <= N * 2^14)

Uses numpy when installed, plain Python otherwise (slow; fine for tests).
A GPU version is the same with torch: build A and B on the host as below,
then C = (A.to("cuda", torch.int32) @ B.to("cuda", torch.int32)).cpu(), or
torch._int_mm on int8 tensors where the shapes allow it.
"""
import base64
import hashlib
import json
import struct
import sys


def shake(data, n):
    return hashlib.shake_128(data).digest(n)


def int8s(raw):
    return [b - 256 if b > 127 else b for b in raw]


def gemm(seed, m, n, p):
    b_raw = shake(seed + b"B", n * p)
    a_raws = [shake(seed + b"A" + struct.pack(">I", i), n) for i in range(m)]
    try:
        import numpy as np

        a = np.frombuffer(b"".join(a_raws), dtype=np.int8).astype(np.int32).reshape(m, n)
        b = np.frombuffer(b_raw, dtype=np.int8).astype(np.int32).reshape(n, p)
        return (a @ b).astype("<i4").tobytes()
    except ImportError:
        b = int8s(b_raw)
        out = bytearray()
        for raw in a_raws:
            a = int8s(raw)
            row = [0] * p
            for k, ak in enumerate(a):
                if ak:
                    bk = b[k * p:(k + 1) * p]
                    for j in range(p):
                        row[j] += ak * bk[j]
            out += struct.pack("<%di" % p, *row)
        return bytes(out)


def main():
    try:
        req = json.load(sys.stdin)
        if req.get("op") != "poc_gemm":
            raise ValueError("unknown op %r" % req.get("op"))
        m, n, p = int(req["m"]), int(req["n"]), int(req["p"])
        if m <= 0 or n <= 0 or p <= 0:
            raise ValueError("invalid dimensions")
        rows = gemm(bytes.fromhex(req["seed"]), m, n, p)
        json.dump({"rows_b64": base64.b64encode(rows).decode()}, sys.stdout)
    except Exception as e:  # the worker reads the error field
        json.dump({"error": str(e)}, sys.stdout)
        sys.exit(1)


if __name__ == "__main__":
    main()
