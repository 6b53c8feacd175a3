// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ISafe, ISafeProxyFactory} from "./ISafe.sol";
import {CommonBase} from "forge-std/Base.sol";

/// @title SafeOps
/// @notice Deploys a real Safe 1.4.1 from the `@safe-global/safe-contracts` build artifacts and drives it: builds the
/// owners' signatures and executes Safe transactions. Shared by the deploy and upgrade scripts and the tests, so what
/// the tests prove is what the scripts do.
/// @dev The artifacts are Hardhat JSON files; their creation code is read with `vm.readFile` + `vm.parseJsonBytes`
/// (foundry.toml grants read access to the package folder). Nothing of the Safe is compiled here.
abstract contract SafeOps is CommonBase {
    string internal constant SAFE_ARTIFACTS = "node_modules/@safe-global/safe-contracts/build/artifacts/contracts/";

    /// @notice Where the Safe's singleton, factory and fallback handler live on this chain.
    struct SafeInfra {
        address singleton;
        address factory;
        address fallbackHandler;
    }

    /// @notice A Safe transaction was refused by the Safe (it returned false).
    error SafeTxFailed(address safe, address to, bytes4 selector);
    /// @notice Fewer owner keys (or pre-collected signatures) than the Safe's threshold.
    error NotEnoughSigners(uint256 given, uint256 threshold);
    /// @notice A key given as an owner key does not belong to an owner of the Safe.
    error NotAnOwner(address safe, address signer);
    /// @notice An artifact could not be deployed.
    error ArtifactDeployFailed(string artifact);

    /*//////////////////////////////////////////////////////////////
                               DEPLOYMENT
    //////////////////////////////////////////////////////////////*/

    /// @notice Creation code of a Safe artifact, e.g. `Safe.sol/Safe` or `proxies/SafeProxyFactory.sol/SafeProxyFactory`.
    function _safeCreationCode(string memory artifact) internal view returns (bytes memory) {
        string memory json = vm.readFile(string.concat(SAFE_ARTIFACTS, artifact, ".json"));
        return vm.parseJsonBytes(json, ".bytecode");
    }

    /// @notice Deploys an artifact's creation code with CREATE (in a script: one broadcast transaction).
    function _deployArtifact(string memory artifact) internal returns (address deployed) {
        bytes memory code = _safeCreationCode(artifact);
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        if (deployed == address(0)) revert ArtifactDeployFailed(artifact);
    }

    /// @notice Deploys the Safe singleton, the proxy factory and the compatibility fallback handler from the artifacts.
    function _deploySafeInfra() internal returns (SafeInfra memory infra) {
        infra.singleton = _deployArtifact("Safe.sol/Safe");
        infra.factory = _deployArtifact("proxies/SafeProxyFactory.sol/SafeProxyFactory");
        infra.fallbackHandler = _deployArtifact("handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler");
    }

    /// @notice Creates and sets up a Safe proxy with `owners` and `threshold`; no modules, no guard, no refund.
    function _createSafe(
        SafeInfra memory infra,
        address[] memory owners,
        uint256 threshold,
        uint256 saltNonce
    ) internal returns (ISafe safe) {
        bytes memory setup = abi.encodeCall(
            ISafe.setup, (owners, threshold, address(0), "", infra.fallbackHandler, address(0), 0, payable(address(0)))
        );
        safe = ISafe(ISafeProxyFactory(infra.factory).createProxyWithNonce(infra.singleton, setup, saltNonce));
    }

    /// @notice The singleton a Safe proxy delegates to (the proxy keeps it in storage slot 0).
    function _safeSingleton(address safe) internal view returns (address) {
        return address(uint160(uint256(vm.load(safe, bytes32(0)))));
    }

    /*//////////////////////////////////////////////////////////////
                              TRANSACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The hash the owners sign for a plain CALL from `safe` at its current nonce.
    function _safeTxHash(ISafe safe, address to, uint256 value, bytes memory data) internal view returns (bytes32) {
        return safe.getTransactionHash(to, value, data, 0, 0, 0, 0, address(0), address(0), safe.nonce());
    }

    /// @notice Signs `txHash` with `keys` and packs the signatures as the Safe wants them: sorted by owner address,
    /// 65 bytes each (r, s, v). Refuses a key that is not an owner and fewer keys than the threshold.
    function _signSafeTx(ISafe safe, bytes32 txHash, uint256[] memory keys) internal view returns (bytes memory sigs) {
        uint256 threshold = safe.getThreshold();
        if (keys.length < threshold) revert NotEnoughSigners(keys.length, threshold);
        address[] memory signers = new address[](keys.length);
        for (uint256 i; i < keys.length; ++i) {
            signers[i] = vm.addr(keys[i]);
            if (!safe.isOwner(signers[i])) revert NotAnOwner(address(safe), signers[i]);
        }
        // Insertion sort by signer address (a handful of owners).
        for (uint256 i = 1; i < keys.length; ++i) {
            (address a, uint256 k) = (signers[i], keys[i]);
            uint256 j = i;
            while (j > 0 && signers[j - 1] > a) {
                (signers[j], keys[j]) = (signers[j - 1], keys[j - 1]);
                --j;
            }
            (signers[j], keys[j]) = (a, k);
        }
        for (uint256 i; i < threshold; ++i) {
            (uint8 v, bytes32 r, bytes32 s) = vm.sign(keys[i], txHash);
            sigs = bytes.concat(sigs, r, s, bytes1(v));
        }
    }

    /// @notice Executes a CALL from `safe` signed by `keys` (a threshold of its owners). Reverts when the Safe refuses
    /// it or the call inside it fails (with safeTxGas = 0 the Safe reverts on an inner failure).
    function _execSafeTx(ISafe safe, address to, uint256 value, bytes memory data, uint256[] memory keys) internal {
        bytes memory sigs = _signSafeTx(safe, _safeTxHash(safe, to, value, data), keys);
        _execSafeTxWithSignatures(safe, to, value, data, sigs);
    }

    /// @notice Executes a CALL from `safe` with signatures collected elsewhere (sorted, 65 bytes each).
    function _execSafeTxWithSignatures(
        ISafe safe,
        address to,
        uint256 value,
        bytes memory data,
        bytes memory sigs
    ) internal {
        bool ok = safe.execTransaction(to, value, data, 0, 0, 0, 0, address(0), payable(address(0)), sigs);
        if (!ok) revert SafeTxFailed(address(safe), to, bytes4(data));
    }
}
