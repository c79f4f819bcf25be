"""Every block of a range, as a Python integrator reads it with substrate-interface.

Usage: blocks.py <ws url> <first block number> <last block number>

Decodes each block's extrinsics (version 4: the Ursulas' duties are signed transactions) and its
events with the ecosystem's standard Python client, and prints one JSON object: how many of each
call (`Pallet.call_name`), how many events, and the duties' signers by call. Exits non-zero on
the first block, extrinsic or event it cannot decode. The end-to-end test
(node/tests/ursula_network.rs) runs it over the whole chain of its three-Ursula network, beside
polkadot.js and subxt, after Ursulas committed, proved served work and redeemed tickets.
"""

import json
import sys

from substrateinterface import SubstrateInterface


def main() -> int:
    url, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    substrate = SubstrateInterface(url=url)
    calls = {}
    signers = {}
    events = 0
    for number in range(first, last + 1):
        block_hash = substrate.get_block_hash(number)
        block = substrate.get_block(block_hash=block_hash)
        for extrinsic in block["extrinsics"]:
            value = extrinsic.value
            call = value["call"]
            name = f"{call['call_module']}.{call['call_function']}"
            calls[name] = calls.get(name, 0) + 1
            if "address" in value:
                signers.setdefault(name, set()).add(value["address"])
        for event in substrate.get_events(block_hash=block_hash):
            assert event.value["module_id"] and event.value["event_id"], event
            events += 1
    print(
        json.dumps(
            {
                "calls": calls,
                "events": events,
                "signers": {name: sorted(who) for name, who in signers.items()},
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
