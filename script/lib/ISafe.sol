// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISafe
/// @notice The part of the Safe 1.4.1 interface that deployment, upgrades and tests use. The Safe itself is never
/// compiled here: it is deployed from the build artifacts of the npm package safe-global/safe-contracts (see SafeOps).
interface ISafe {
    /// @notice Initialises a Safe proxy once: owners, threshold, optional module set-up call and fallback handler.
    function setup(
        address[] calldata owners,
        uint256 threshold,
        address to,
        bytes calldata data,
        address fallbackHandler,
        address paymentToken,
        uint256 payment,
        address payable paymentReceiver
    ) external;

    /// @notice Executes a transaction signed by at least `threshold` owners (signatures sorted by owner address).
    function execTransaction(
        address to,
        uint256 value,
        bytes calldata data,
        uint8 operation,
        uint256 safeTxGas,
        uint256 baseGas,
        uint256 gasPrice,
        address gasToken,
        address payable refundReceiver,
        bytes calldata signatures
    ) external payable returns (bool success);

    /// @notice The EIP-712 hash owners sign for a Safe transaction with nonce `nonce`.
    function getTransactionHash(
        address to,
        uint256 value,
        bytes calldata data,
        uint8 operation,
        uint256 safeTxGas,
        uint256 baseGas,
        uint256 gasPrice,
        address gasToken,
        address refundReceiver,
        uint256 nonce
    ) external view returns (bytes32);

    function nonce() external view returns (uint256);
    function getOwners() external view returns (address[] memory);
    function getThreshold() external view returns (uint256);
    function isOwner(address owner) external view returns (bool);
    function VERSION() external view returns (string memory);
}

/// @title ISafeProxyFactory
/// @notice Creates Safe proxies (Safe 1.4.1 `SafeProxyFactory`).
interface ISafeProxyFactory {
    function createProxyWithNonce(
        address singleton,
        bytes memory initializer,
        uint256 saltNonce
    ) external returns (address proxy);
}
