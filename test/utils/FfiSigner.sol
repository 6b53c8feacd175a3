// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Vm} from "forge-std/Vm.sol";

/// @notice Signs through the TypeScript signer (ts/ffi/sign.ts) with the key in a file written for this one call and
/// deleted after it. forge runs tests in parallel in one process, so a key passed through the environment
/// (vm.setEnv) can be overwritten by another test between the set and the call, and the signature comes back by the
/// wrong key; a file per call cannot be.
library FfiSigner {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    string private constant DIR = "test/ffi-keys";

    /// @param kind "sale" or "root" (see ts/ffi/sign.ts); data is its ABI-encoded argument.
    function sign(
        string memory kind,
        bytes memory data,
        uint256 key
    ) internal returns (bytes32 digest, bytes memory signature) {
        // DIR is committed (test/ffi-keys/.gitignore): forge resolves fs_permissions when it starts, and a
        // directory created later (e.g. under cache/ in a fresh clone) was refused for writing.
        // Unique per call: the key and data, the wall clock and a random word (tests in parallel may share a seed).
        string memory path = string.concat(
            DIR, "/", vm.toString(keccak256(abi.encode(key, data, vm.unixTime(), vm.randomUint(), gasleft()))), ".key"
        );
        vm.writeFile(path, vm.toString(bytes32(key)));
        string[] memory cmd = new string[](5);
        cmd[0] = "node_modules/.bin/tsx";
        cmd[1] = "ts/ffi/sign.ts";
        cmd[2] = kind;
        cmd[3] = vm.toString(data);
        cmd[4] = path;
        bytes memory out = vm.ffi(cmd);
        vm.removeFile(path);
        (digest, signature) = abi.decode(out, (bytes32, bytes));
    }
}
