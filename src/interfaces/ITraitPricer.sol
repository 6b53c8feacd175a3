// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITraitPricer
/// @notice Per-token trait premiums from an off-chain Merkle tree whose root is published with an EIP-712 signature of
/// the pricer signer. The domain binds chain id and this contract (the proxy); the message binds collection, epoch,
/// root and expiry; leaves are `keccak256(bytes.concat(keccak256(abi.encode(TRAIT_LEAF_TYPEHASH, collection, tokenId,
/// premiumPerUnit, epoch))))` with `TRAIT_LEAF_TYPEHASH = keccak256("TraitLeaf(address collection,uint256 tokenId,
/// uint256 premiumPerUnit,uint256 epoch)")`: the premium is per unit of the token, in the pool's asset (a stack of n
/// ERC-1155 units carries n premiums). The tree hashes sorted pairs (solady `MerkleProofLib`).
/// @dev Warning: the signer is a single key. A bad root can only inflate a premium up to
/// `maxPremiumMultipleWad x unitPrice`, which bounds what one key can extract. Rotating the signer (timelock only)
/// invalidates every root signed by the previous key.
interface ITraitPricer {
    /// @notice A root publication, signed with EIP-712.
    /// @dev Type string: `TraitRoot(address collection,uint64 epoch,bytes32 root,uint64 expiry)`.
    struct TraitRoot {
        address collection;
        uint64 epoch;
        bytes32 root;
        uint64 expiry;
    }

    /// @notice Per-collection state (two storage slots).
    /// @param root Current Merkle root (zero when none or revoked).
    /// @param epoch Epoch of the latest accepted root; a new root needs a strictly larger epoch.
    /// @param expiry Last second at which `root` is valid.
    /// @param generation Signer generation that signed `root`; a rotation makes older generations invalid.
    /// @param maxPremiumMultipleWad Premium cap as a multiple of the unit price (WAD); zero when not enabled.
    struct RootRecord {
        bytes32 root;
        uint64 epoch;
        uint64 expiry;
        uint32 generation;
        uint64 maxPremiumMultipleWad;
        bool revoked; // set by `revokeRoot`; no root can be published until the timelock calls `restoreRoots`
    }

    error CollectionNotEnabled(address collection);
    error ZeroRoot(address collection);
    error StaleEpoch(address collection, uint256 epoch, uint256 currentEpoch);
    error RootExpired(address collection, uint256 expiry, uint256 blockTimestamp);
    error ExpiryTooFar(address collection, uint256 expiry, uint256 maxExpiry);
    error InvalidRootSignature(address recovered);
    error NoRoot(address collection);
    error RootFromRotatedSigner(address collection, uint256 generation, uint256 currentGeneration);
    error InvalidProof(address collection, uint256 tokenId, uint256 premium);
    error InvalidPremiumMultiple(uint256 multipleWad, uint256 maxMultipleWad);
    error RootsRevoked(address collection);
    error RootsNotRevoked(address collection);

    event RootPublished(address indexed collection, uint256 indexed epoch, bytes32 root, uint256 expiry);
    event RootRevoked(address indexed collection, uint256 epoch);
    event RootsRestored(address indexed collection);
    event SignerRotated(address indexed signer, uint256 generation);
    event PremiumMultipleSet(address indexed collection, uint256 multipleWad);

    /// @notice Publishes `update` for its collection: anyone may relay a root signed by the current signer. Reverts
    /// unless the collection is enabled, the root is non-zero, `epoch` exceeds the latest epoch and
    /// `now < expiry <= now + MAX_ROOT_LIFETIME`.
    function publishRoot(TraitRoot calldata update, bytes calldata signature) external;

    /// @notice Verifies the leaf (collection, tokenId, premium, current epoch) against the current root and returns
    /// `premium` capped at `maxPremiumMultipleWad x unitPrice / 1e18` (rounded down). Reverts on a disabled collection,
    /// a missing, revoked, expired or rotated-signer root, or a bad proof.
    function cappedPremium(
        address collection,
        uint256 tokenId,
        uint256 premium,
        bytes32[] calldata proof,
        uint256 unitPrice
    ) external view returns (uint256);

    /// @notice Enables `collection` with the default premium cap multiple (timelock only).
    function enableCollection(address collection) external;

    /// @notice Sets the premium cap multiple of `collection`, 0 < multiple <= MAX_PREMIUM_MULTIPLE_WAD (timelock only).
    function setPremiumMultiple(address collection, uint64 multipleWad) external;

    /// @notice Replaces the signer and invalidates every root it signed (timelock only).
    function setSigner(address newSigner) external;

    /// @notice Clears the current root of `collection`, keeping its epoch, and blocks `publishRoot` for it until the
    /// timelock calls `restoreRoots` (guardian or timelock): a signed later epoch cannot undo the revocation.
    function revokeRoot(address collection) external;

    /// @notice Lifts a revocation of `collection` so that roots can be published again (timelock only). Reverts with
    /// `RootsNotRevoked` when there is none.
    function restoreRoots(address collection) external;

    /// @notice Current signer.
    function signer() external view returns (address);

    /// @notice Current signer generation (incremented by each rotation).
    function signerGeneration() external view returns (uint32);

    /// @notice State of `collection`.
    function rootRecord(address collection) external view returns (RootRecord memory);

    /// @notice EIP-712 digest of `update` under this contract's domain.
    function hashTraitRoot(TraitRoot calldata update) external view returns (bytes32);

    /// @notice The double-hashed, type-tagged leaf for (collection, tokenId, premium per unit, epoch).
    function leafHash(
        address collection,
        uint256 tokenId,
        uint256 premium,
        uint256 epoch
    ) external pure returns (bytes32);
}
