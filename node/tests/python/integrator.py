"""An integrator's view of a Keymarket block, with the ecosystem's standard Python client.

Usage: integrator.py <ws url> <block hash>

Decodes the block with substrate-interface (1.8.1, which reads version-4 extrinsics only),
finds the Ursulas' duty transactions in it (Staking.commit_to_next_period) and reads each one's
receipt. Prints one JSON object; exits non-zero when the block cannot be read. The polkadot.js
staking test runs it against a real dev node (scripts/test installs the client).
"""

import json
import sys

from substrateinterface import ExtrinsicReceipt, SubstrateInterface


def main() -> int:
    url, block_hash = sys.argv[1], sys.argv[2]
    substrate = SubstrateInterface(url=url)
    block = substrate.get_block(block_hash=block_hash)
    duties = []
    for index, extrinsic in enumerate(block["extrinsics"]):
        value = extrinsic.value
        call = value["call"]
        if (call["call_module"], call["call_function"]) != ("Staking", "commit_to_next_period"):
            continue
        receipt = ExtrinsicReceipt(
            substrate=substrate, block_hash=block_hash, extrinsic_idx=index
        )
        duties.append(
            {
                "index": index,
                "signer": value.get("address"),
                "nonce": value.get("nonce"),
                "success": receipt.is_success,
                "fee": receipt.total_fee_amount,
                "events": [
                    f"{e.value['module_id']}.{e.value['event_id']}"
                    for e in receipt.triggered_events
                ],
            }
        )
    print(json.dumps({"extrinsics": len(block["extrinsics"]), "duties": duties}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
