// The page's logic: alice.js and bob.js in a browser. umbral-pre is its WebAssembly build
// (`pkg-bundler`), instantiated here against its own JavaScript glue, without a bundler.
import * as glue from '/vendor/umbral-pre/umbral_pre_wasm_bg.js';
import { aliceKeys, bobKey, encrypt, grant, hexOf, newKeyFile } from '../alice.js';
import { retrieve } from '../bob.js';

const $ = (id) => document.getElementById(id);
const say = (line) => { $('status').textContent += `${line}\n`; };

async function loadUmbral() {
  const wasm = await WebAssembly.instantiateStreaming(
    fetch('/vendor/umbral-pre/umbral_pre_wasm_bg.wasm'),
    { './umbral_pre_wasm_bg.js': glue },
  );
  glue.__wbg_set_wasm(wasm.instance.exports);
  return glue;
}

/** Signs and sends `tx`; resolves once it is in a block, or rejects with the chain's error. */
function send(api, tx, signer) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, dispatchError }) => {
      if (!status.isInBlock) return;
      if (dispatchError) {
        const error = dispatchError.isModule ? api.registry.findMetaError(dispatchError.asModule) : null;
        reject(new Error(error ? `${error.section}.${error.name}` : dispatchError.toString()));
      } else {
        resolve(status.asInBlock.toHex());
      }
    }).catch(reject);
  });
}

const state = {};

async function onGrant() {
  $('grant').disabled = true;
  try {
    const { ApiPromise, WsProvider } = window.polkadotApi;
    const provider = new WsProvider($('rpc').value);
    const api = await ApiPromise.create({ provider, noInitWarn: true });
    const rpc = (method, params) => provider.send(method, params);
    const keyring = new window.polkadotKeyring.Keyring({ type: 'sr25519' });
    const alice = keyring.addFromUri($('alice').value);
    const bob = keyring.addFromUri($('bob').value);
    // Bob's key file, made here and kept in the page (a real Bob keeps his own).
    const bobSecret = bobKey(state.umbral, newKeyFile());
    const keys = aliceKeys(state.umbral, newKeyFile(), 'page');
    const policy = hexOf(crypto.getRandomValues(new Uint8Array(16)));
    const start = await rpc('keymarket_currentPeriod', []);
    const ursulas = $('ursulas').value.split(',').map((u) => u.trim()).filter(Boolean);
    const bobKeyHex = hexOf(bobSecret.publicKey().toCompressedBytes());
    const granted = await grant(api, rpc, state.umbral, {
      owner: alice.address, keys, policy, bob: bob.address, bobKey: bobKeyHex, ursulas,
      threshold: Number($('threshold').value), start, periods: 10, rate: 10n ** 9n,
    });
    const block = await send(api, granted.tx, alice);
    say(`granted policy ${policy} in block ${block}`);
    const file = encrypt(api, state.umbral, policy, granted.policyKey, new TextEncoder().encode($('message').value));
    say(`Enrico encrypted ${file.length} bytes under the policy's key`);
    Object.assign(state, { api, rpc, bob, bobSecret, file });
    $('retrieve').disabled = false;
  } catch (e) {
    say(`error: ${e.message}`);
    $('grant').disabled = false;
  }
}

async function onRetrieve() {
  const { api, rpc, bob, bobSecret, file } = state;
  try {
    const plaintext = await retrieve(api, rpc, state.umbral, { bob, bobSecret, file });
    $('plaintext').textContent = new TextDecoder().decode(plaintext);
    say('Bob decrypted');
  } catch (e) {
    say(`error: ${e.message}`);
  }
}

state.umbral = await loadUmbral();
$('grant').addEventListener('click', onGrant);
$('retrieve').addEventListener('click', onRetrieve);
const params = new URLSearchParams(location.search);
for (const id of ['rpc', 'alice', 'bob', 'ursulas', 'threshold', 'message']) {
  if (params.has(id)) $(id).value = params.get(id);
}
$('status').textContent = 'ready\n';
