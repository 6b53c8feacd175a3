// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {Governed} from "../admin/Governed.sol";
import {ITraitPricer} from "../interfaces/ITraitPricer.sol";
import {PoolMath} from "../libraries/PoolMath.sol";
import {ValuationMath} from "../oracle/ValuationMath.sol";
import {ECDSA} from "solady/utils/ECDSA.sol";
import {EIP712} from "solady/utils/EIP712.sol";
import {MerkleProofLib} from "solady/utils/MerkleProofLib.sol";

/// @title TraitPricer
/// @notice Signed Merkle roots of per-token trait premiums, one per collection, with epochs, expiries and a cap.
contract TraitPricer is Governed, EIP712, ITraitPricer {
    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Premium cap multiple given to a newly enabled collection: 2x the unit price.
    uint64 public constant DEFAULT_MAX_PREMIUM_MULTIPLE_WAD = 2e18;
    /// @notice Largest premium cap multiple the timelock may set.
    uint64 public constant MAX_PREMIUM_MULTIPLE_WAD = 10e18;
    /// @notice Longest validity a root may claim at publication.
    uint256 public constant MAX_ROOT_LIFETIME = 30 days;
    /// @notice EIP-712 type hash of `TraitRoot`.
    bytes32 public constant TRAIT_ROOT_TYPEHASH =
        keccak256("TraitRoot(address collection,uint64 epoch,bytes32 root,uint64 expiry)");
    /// @notice Type tag of a leaf, its first encoded word: the premium is per unit of the token (ERC-1155 stacks).
    bytes32 public constant TRAIT_LEAF_TYPEHASH =
        keccak256("TraitLeaf(address collection,uint256 tokenId,uint256 premiumPerUnit,uint256 epoch)");

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @custom:storage-location erc7201:nftlend.storage.TraitPricer
    struct TraitPricerStorage {
        address signer;
        uint32 signerGeneration;
        mapping(address collection => RootRecord) roots;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("nftlend.storage.TraitPricer")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant TRAIT_PRICER_SLOT = 0xa20d0b1e915e5f458648a67bb793cb4cdd12043ca8bb5cb3ae615b4e11e20000;

    function _storage() private pure returns (TraitPricerStorage storage $) {
        assembly ("memory-safe") {
            $.slot := TRAIT_PRICER_SLOT
        }
    }

    /*//////////////////////////////////////////////////////////////
                              INITIALIZER
    //////////////////////////////////////////////////////////////*/

    /// @notice Initialises the proxy with its roles and the first signer (generation 1).
    function initialize(address timelock_, address guardian_, address signer_) external initializer {
        if (signer_ == address(0)) revert ZeroAddress();
        __Governed_init(timelock_, guardian_);
        TraitPricerStorage storage $ = _storage();
        $.signer = signer_;
        $.signerGeneration = 1;
        emit SignerRotated(signer_, 1);
    }

    /*//////////////////////////////////////////////////////////////
                                 ROOTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ITraitPricer
    function publishRoot(TraitRoot calldata update, bytes calldata signature) external {
        TraitPricerStorage storage $ = _storage();
        RootRecord storage rec = $.roots[update.collection];
        if (rec.maxPremiumMultipleWad == 0) revert CollectionNotEnabled(update.collection);
        if (update.root == bytes32(0)) revert ZeroRoot(update.collection);
        if (update.epoch <= rec.epoch) revert StaleEpoch(update.collection, update.epoch, rec.epoch);
        if (rec.revoked) revert RootsRevoked(update.collection);
        if (update.expiry <= block.timestamp) revert RootExpired(update.collection, update.expiry, block.timestamp);
        if (update.expiry > block.timestamp + MAX_ROOT_LIFETIME) {
            revert ExpiryTooFar(update.collection, update.expiry, block.timestamp + MAX_ROOT_LIFETIME);
        }
        address signer_ = $.signer;
        address recovered = ECDSA.tryRecoverCalldata(_hashTraitRoot(update), signature);
        if (recovered == address(0) || recovered != signer_) revert InvalidRootSignature(recovered);

        rec.root = update.root;
        rec.epoch = update.epoch;
        rec.expiry = update.expiry;
        rec.generation = $.signerGeneration;
        emit RootPublished(update.collection, update.epoch, update.root, update.expiry);
    }

    /// @inheritdoc ITraitPricer
    function cappedPremium(
        address collection,
        uint256 tokenId,
        uint256 premium,
        bytes32[] calldata proof,
        uint256 unitPrice
    ) external view returns (uint256) {
        TraitPricerStorage storage $ = _storage();
        RootRecord memory rec = $.roots[collection];
        if (rec.maxPremiumMultipleWad == 0) revert CollectionNotEnabled(collection);
        if (rec.root == bytes32(0)) revert NoRoot(collection);
        uint32 generation = $.signerGeneration;
        if (rec.generation != generation) revert RootFromRotatedSigner(collection, rec.generation, generation);
        if (block.timestamp > rec.expiry) revert RootExpired(collection, rec.expiry, block.timestamp);
        if (!MerkleProofLib.verifyCalldata(proof, rec.root, _leaf(collection, tokenId, premium, rec.epoch))) {
            revert InvalidProof(collection, tokenId, premium);
        }
        // Cap rounded down: in the pool's favour.
        return ValuationMath.min(premium, PoolMath.mulWadDown(unitPrice, rec.maxPremiumMultipleWad));
    }

    /*//////////////////////////////////////////////////////////////
                                 ADMIN
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ITraitPricer
    function enableCollection(address collection) external onlyTimelock {
        _setMultiple(collection, DEFAULT_MAX_PREMIUM_MULTIPLE_WAD);
    }

    /// @inheritdoc ITraitPricer
    function setPremiumMultiple(address collection, uint64 multipleWad) external onlyTimelock {
        _setMultiple(collection, multipleWad);
    }

    /// @inheritdoc ITraitPricer
    function setSigner(address newSigner) external onlyTimelock {
        if (newSigner == address(0)) revert ZeroAddress();
        TraitPricerStorage storage $ = _storage();
        uint32 generation = $.signerGeneration + 1;
        $.signer = newSigner;
        $.signerGeneration = generation;
        emit SignerRotated(newSigner, generation);
    }

    /// @inheritdoc ITraitPricer
    function revokeRoot(address collection) external onlyGuardian {
        RootRecord storage rec = _storage().roots[collection];
        // The epoch is kept, so a revoked root (or any older one) can never be published again.
        rec.root = bytes32(0);
        // Until the timelock lifts it, no root (of any epoch, by any signer) can be published.
        rec.revoked = true;
        emit RootRevoked(collection, rec.epoch);
    }

    /// @inheritdoc ITraitPricer
    function restoreRoots(address collection) external onlyTimelock {
        RootRecord storage rec = _storage().roots[collection];
        if (!rec.revoked) revert RootsNotRevoked(collection);
        rec.revoked = false;
        emit RootsRestored(collection);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ITraitPricer
    function signer() external view returns (address) {
        return _storage().signer;
    }

    /// @inheritdoc ITraitPricer
    function signerGeneration() external view returns (uint32) {
        return _storage().signerGeneration;
    }

    /// @inheritdoc ITraitPricer
    function rootRecord(address collection) external view returns (RootRecord memory) {
        return _storage().roots[collection];
    }

    /// @inheritdoc ITraitPricer
    function hashTraitRoot(TraitRoot calldata update) external view returns (bytes32) {
        return _hashTraitRoot(update);
    }

    /// @inheritdoc ITraitPricer
    function leafHash(
        address collection,
        uint256 tokenId,
        uint256 premium,
        uint256 epoch
    ) external pure returns (bytes32) {
        return _leaf(collection, tokenId, premium, epoch);
    }

    /*//////////////////////////////////////////////////////////////
                                INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _setMultiple(address collection, uint64 multipleWad) internal {
        if (collection == address(0)) revert ZeroAddress();
        if (multipleWad == 0 || multipleWad > MAX_PREMIUM_MULTIPLE_WAD) {
            revert InvalidPremiumMultiple(multipleWad, MAX_PREMIUM_MULTIPLE_WAD);
        }
        _storage().roots[collection].maxPremiumMultipleWad = multipleWad;
        emit PremiumMultipleSet(collection, multipleWad);
    }

    /// @dev Double-hashed so that no 64-byte internal node can pass as a leaf; tagged with its type, which says the
    /// premium is per unit (an ERC-1155 stack of n units is valued at n x (price + premium)).
    function _leaf(
        address collection,
        uint256 tokenId,
        uint256 premiumPerUnit,
        uint256 epoch
    ) internal pure returns (bytes32) {
        return keccak256(
            bytes.concat(keccak256(abi.encode(TRAIT_LEAF_TYPEHASH, collection, tokenId, premiumPerUnit, epoch)))
        );
    }

    function _hashTraitRoot(TraitRoot calldata u) internal view returns (bytes32) {
        return _hashTypedData(keccak256(abi.encode(TRAIT_ROOT_TYPEHASH, u.collection, u.epoch, u.root, u.expiry)));
    }

    function _domainNameAndVersion() internal pure override returns (string memory, string memory) {
        return ("NFTLend TraitPricer", "1");
    }
}
