// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IGoverned} from "../../src/interfaces/IGoverned.sol";
import {ITraitPricer} from "../../src/interfaces/ITraitPricer.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {TraitPricer} from "../../src/pricer/TraitPricer.sol";
import {ValuationBase} from "../utils/ValuationBase.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

contract TraitPricerTest is ValuationBase {
    TraitPricer internal pricer;
    address internal signerAddr;
    uint256 internal signerKey;
    address internal otherCollection = makeAddr("otherCollection");

    uint256[4] internal tokenIds = [uint256(1), 2, 3, 4];
    uint256[4] internal premiums = [uint256(1 ether), 2 ether, 3 ether, 30 ether];
    bytes32[4] internal leaves;
    bytes32 internal root;
    uint64 internal constant EPOCH = 1;

    function setUp() public override {
        super.setUp();
        (signerAddr, signerKey) = makeAddrAndKey("pricerSigner");
        pricer = _deployPricer();
        vm.prank(timelock);
        valuation.setTraitPricer(address(pricer));
        root = _buildTree(collection, EPOCH);
    }

    function _deployPricer() internal returns (TraitPricer p) {
        TraitPricer impl = new TraitPricer();
        p = TraitPricer(
            address(
                new ERC1967Proxy(
                    address(impl), abi.encodeCall(TraitPricer.initialize, (timelock, guardian, signerAddr))
                )
            )
        );
        vm.startPrank(timelock);
        p.enableCollection(collection);
        p.enableCollection(otherCollection);
        vm.stopPrank();
    }

    /// @dev Four leaves, sorted-pair hashing: root = H(H(l0, l1), H(l2, l3)).
    function _buildTree(address c, uint256 epoch) internal returns (bytes32) {
        for (uint256 i; i < 4; ++i) {
            leaves[i] = keccak256(
                bytes.concat(keccak256(abi.encode(pricer.TRAIT_LEAF_TYPEHASH(), c, tokenIds[i], premiums[i], epoch)))
            );
        }
        return _hashPair(_hashPair(leaves[0], leaves[1]), _hashPair(leaves[2], leaves[3]));
    }

    function _hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function _proof(uint256 i) internal view returns (bytes32[] memory p) {
        p = new bytes32[](2);
        p[0] = leaves[i ^ 1];
        p[1] = i < 2 ? _hashPair(leaves[2], leaves[3]) : _hashPair(leaves[0], leaves[1]);
    }

    function _update(
        address c,
        uint64 epoch,
        bytes32 r,
        uint64 expiry
    ) internal pure returns (ITraitPricer.TraitRoot memory) {
        return ITraitPricer.TraitRoot({collection: c, epoch: epoch, root: r, expiry: expiry});
    }

    function _sign(uint256 key, TraitPricer p, ITraitPricer.TraitRoot memory u) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, p.hashTraitRoot(u));
        return abi.encodePacked(r, s, v);
    }

    function _recover(
        TraitPricer p,
        ITraitPricer.TraitRoot memory u,
        bytes memory sig
    ) internal view returns (address) {
        bytes32 r;
        bytes32 s;
        assembly {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
        }
        return ecrecover(p.hashTraitRoot(u), uint8(sig[64]), r, s);
    }

    function _publish() internal returns (ITraitPricer.TraitRoot memory u) {
        u = _update(collection, EPOCH, root, uint64(block.timestamp + 1 days));
        pricer.publishRoot(u, _sign(signerKey, pricer, u));
    }

    function _recordHash(address c) internal view returns (bytes32) {
        return keccak256(abi.encode(pricer.rootRecord(c), pricer.signer(), pricer.signerGeneration()));
    }

    /*//////////////////////////////////////////////////////////////
                                 BASICS
    //////////////////////////////////////////////////////////////*/

    function test_storageSlot_matchesErc7201() public pure {
        bytes32 expected =
            keccak256(abi.encode(uint256(keccak256("nftlend.storage.TraitPricer")) - 1)) & ~bytes32(uint256(0xff));
        assertEq(expected, 0xa20d0b1e915e5f458648a67bb793cb4cdd12043ca8bb5cb3ae615b4e11e20000);
    }

    function test_leafHash_matchesDoubleHash() public view {
        assertEq(pricer.leafHash(collection, tokenIds[0], premiums[0], EPOCH), leaves[0]);
    }

    function test_publishRoot_storesRecord() public {
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH, root, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(signerKey, pricer, u);
        vm.expectEmit(address(pricer));
        emit ITraitPricer.RootPublished(collection, EPOCH, root, u.expiry);
        vm.prank(makeAddr("relayer"));
        pricer.publishRoot(u, sig);
        ITraitPricer.RootRecord memory rec = pricer.rootRecord(collection);
        assertEq(rec.root, root);
        assertEq(rec.epoch, EPOCH);
        assertEq(rec.expiry, u.expiry);
        assertEq(rec.generation, 1);
        assertEq(rec.maxPremiumMultipleWad, 2e18);
    }

    function test_traitPremium_returnsVerifiedPremium() public {
        _publish();
        for (uint256 i; i < 3; ++i) {
            assertEq(valuation.traitPremium(collection, tokenIds[i], premiums[i], _proof(i), P), premiums[i]);
        }
    }

    function test_traitPremium_capsInflatedPremium() public {
        _publish();
        // Leaf 3 claims 30 ether against a 10 ether unit price: capped at 2x = 20 ether.
        assertEq(valuation.traitPremium(collection, tokenIds[3], premiums[3], _proof(3), P), 2 * P);
        // The cap rounds down.
        assertEq(valuation.traitPremium(collection, tokenIds[3], premiums[3], _proof(3), 3), 6);
    }

    function test_RevertWhen_traitPremiumWithoutPricer() public {
        vm.prank(timelock);
        valuation.setTraitPricer(address(0));
        vm.expectRevert(IValuationAdmin.TraitPricerNotSet.selector);
        valuation.traitPremium(collection, 1, 1, new bytes32[](0), P);
    }

    /*//////////////////////////////////////////////////////////////
                         BAD ROOTS (NOTHING CHANGES)
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_publishRootStaleEpoch() public {
        _publish();
        bytes32 before = _recordHash(collection);
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH, root, uint64(block.timestamp + 2 days));
        bytes memory sig = _sign(signerKey, pricer, u);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.StaleEpoch.selector, collection, EPOCH, EPOCH));
        pricer.publishRoot(u, sig);
        assertEq(_recordHash(collection), before);
    }

    function test_RevertWhen_publishRootExpired() public {
        bytes32 before = _recordHash(collection);
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH, root, uint64(block.timestamp));
        bytes memory sig = _sign(signerKey, pricer, u);
        vm.expectRevert(
            abi.encodeWithSelector(ITraitPricer.RootExpired.selector, collection, block.timestamp, block.timestamp)
        );
        pricer.publishRoot(u, sig);
        assertEq(_recordHash(collection), before);
    }

    function test_RevertWhen_publishRootExpiryTooFar() public {
        bytes32 before = _recordHash(collection);
        uint256 maxExpiry = block.timestamp + pricer.MAX_ROOT_LIFETIME();
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH, root, uint64(maxExpiry + 1));
        bytes memory sig = _sign(signerKey, pricer, u);
        vm.expectRevert(
            abi.encodeWithSelector(ITraitPricer.ExpiryTooFar.selector, collection, maxExpiry + 1, maxExpiry)
        );
        pricer.publishRoot(u, sig);
        assertEq(_recordHash(collection), before);
    }

    function test_RevertWhen_publishRootZeroRoot() public {
        bytes32 before = _recordHash(collection);
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH, bytes32(0), uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(signerKey, pricer, u);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.ZeroRoot.selector, collection));
        pricer.publishRoot(u, sig);
        assertEq(_recordHash(collection), before);
    }

    function test_RevertWhen_publishRootCollectionNotEnabled() public {
        address unknown = makeAddr("unknown");
        bytes32 before = _recordHash(unknown);
        ITraitPricer.TraitRoot memory u = _update(unknown, EPOCH, root, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(signerKey, pricer, u);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.CollectionNotEnabled.selector, unknown));
        pricer.publishRoot(u, sig);
        assertEq(_recordHash(unknown), before);
    }

    function test_RevertWhen_publishRootBadSignature() public {
        (address stranger, uint256 strangerKey) = makeAddrAndKey("stranger");
        bytes32 before = _recordHash(collection);
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH, root, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(strangerKey, pricer, u);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.InvalidRootSignature.selector, stranger));
        pricer.publishRoot(u, sig);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.InvalidRootSignature.selector, address(0)));
        pricer.publishRoot(u, hex"00");
        assertEq(_recordHash(collection), before);
    }

    function test_RevertWhen_publishRootFieldMutated() public {
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH, root, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(signerKey, pricer, u);
        bytes32 before = _recordHash(collection);
        ITraitPricer.TraitRoot[3] memory mutated = [
            _update(collection, EPOCH + 1, root, u.expiry),
            _update(collection, EPOCH, bytes32(uint256(root) ^ 1), u.expiry),
            _update(collection, EPOCH, root, u.expiry + 1)
        ];
        for (uint256 i; i < 3; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(ITraitPricer.InvalidRootSignature.selector, _recover(pricer, mutated[i], sig))
            );
            pricer.publishRoot(mutated[i], sig);
        }
        assertEq(_recordHash(collection), before);
    }

    function test_RevertWhen_publishRootCrossChain() public {
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH, root, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(signerKey, pricer, u);
        vm.chainId(block.chainid + 1);
        bytes32 before = _recordHash(collection);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.InvalidRootSignature.selector, _recover(pricer, u, sig)));
        pricer.publishRoot(u, sig);
        assertEq(_recordHash(collection), before);
    }

    function test_RevertWhen_publishRootCrossContract() public {
        TraitPricer other = _deployPricer();
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH, root, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(signerKey, pricer, u);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.InvalidRootSignature.selector, _recover(other, u, sig)));
        other.publishRoot(u, sig);
        assertEq(other.rootRecord(collection).root, bytes32(0));
    }

    /*//////////////////////////////////////////////////////////////
                               BAD PROOFS
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_traitPremiumInflated() public {
        _publish();
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.InvalidProof.selector, collection, tokenIds[0], 5 ether));
        valuation.traitPremium(collection, tokenIds[0], 5 ether, _proof(0), P);
    }

    function test_RevertWhen_traitPremiumMalformedProof() public {
        _publish();
        bytes32 before = _recordHash(collection);
        bytes32 valuationBefore = _stateHash(valuation, collection);
        bytes32[] memory garbage = new bytes32[](3);
        garbage[0] = keccak256("x");
        vm.expectRevert(
            abi.encodeWithSelector(ITraitPricer.InvalidProof.selector, collection, tokenIds[0], premiums[0])
        );
        valuation.traitPremium(collection, tokenIds[0], premiums[0], garbage, P);
        vm.expectRevert(
            abi.encodeWithSelector(ITraitPricer.InvalidProof.selector, collection, tokenIds[0], premiums[0])
        );
        valuation.traitPremium(collection, tokenIds[0], premiums[0], new bytes32[](0), P);
        // A proof one level too long (the right siblings plus an extra one).
        bytes32[] memory longer = new bytes32[](3);
        (longer[0], longer[1], longer[2]) = (_proof(0)[0], _proof(0)[1], bytes32(0));
        vm.expectRevert(
            abi.encodeWithSelector(ITraitPricer.InvalidProof.selector, collection, tokenIds[0], premiums[0])
        );
        valuation.traitPremium(collection, tokenIds[0], premiums[0], longer, P);
        assertEq(_recordHash(collection), before);
        assertEq(_stateHash(valuation, collection), valuationBefore);
    }

    function test_RevertWhen_traitPremiumProofForAnotherCollection() public {
        _publish();
        // Publish the same tree under the other collection: its leaves bind `collection`, so they fail there.
        ITraitPricer.TraitRoot memory u = _update(otherCollection, EPOCH, root, uint64(block.timestamp + 1 days));
        pricer.publishRoot(u, _sign(signerKey, pricer, u));
        vm.expectRevert(
            abi.encodeWithSelector(ITraitPricer.InvalidProof.selector, otherCollection, tokenIds[0], premiums[0])
        );
        valuation.traitPremium(otherCollection, tokenIds[0], premiums[0], _proof(0), P);
    }

    /// @dev Second-preimage attempt: present the 64-byte internal node (leaf0, leaf1) as "leaf data" with the
    /// shortened proof. Double hashing means the contract hashes abi.encode(tag, collection, tokenId, premium, epoch)
    /// twice, which never equals the internal node.
    function test_RevertWhen_traitPremiumSixtyFourByteLeaf() public {
        _publish();
        (bytes32 a, bytes32 b) = leaves[0] < leaves[1] ? (leaves[0], leaves[1]) : (leaves[1], leaves[0]);
        bytes32[] memory shortProof = new bytes32[](1);
        shortProof[0] = _hashPair(leaves[2], leaves[3]);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.InvalidProof.selector, collection, uint256(a), uint256(b)));
        valuation.traitPremium(collection, uint256(a), uint256(b), shortProof, P);
    }

    function test_RevertWhen_traitPremiumRootExpired() public {
        ITraitPricer.TraitRoot memory u = _publish();
        vm.warp(u.expiry);
        vm.warp(u.expiry + 1);
        bytes32 before = _recordHash(collection);
        bytes32 valuationBefore = _stateHash(valuation, collection);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.RootExpired.selector, collection, u.expiry, u.expiry + 1));
        valuation.traitPremium(collection, tokenIds[0], premiums[0], _proof(0), P);
        assertEq(_recordHash(collection), before);
        assertEq(_stateHash(valuation, collection), valuationBefore);
    }

    function test_RevertWhen_traitPremiumOlderEpochProof() public {
        _publish();
        bytes32[] memory oldProof = _proof(0);
        bytes32 newRoot = _buildTree(collection, EPOCH + 1);
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH + 1, newRoot, uint64(block.timestamp + 1 days));
        pricer.publishRoot(u, _sign(signerKey, pricer, u));
        // The old proof binds epoch 1; the current root is epoch 2.
        vm.expectRevert(
            abi.encodeWithSelector(ITraitPricer.InvalidProof.selector, collection, tokenIds[0], premiums[0])
        );
        valuation.traitPremium(collection, tokenIds[0], premiums[0], oldProof, P);
    }

    function test_RevertWhen_traitPremiumNoRoot() public {
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.NoRoot.selector, collection));
        valuation.traitPremium(collection, tokenIds[0], premiums[0], _proof(0), P);
    }

    function test_RevertWhen_traitPremiumCollectionNotEnabled() public {
        address unknown = makeAddr("unknown");
        bytes32 before = _recordHash(unknown);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.CollectionNotEnabled.selector, unknown));
        valuation.traitPremium(unknown, 1, 1, new bytes32[](0), P);
        assertEq(_recordHash(unknown), before);
    }

    /*//////////////////////////////////////////////////////////////
                           SIGNER AND GUARDIAN
    //////////////////////////////////////////////////////////////*/

    function test_setSigner_invalidatesOldRoots() public {
        _publish();
        (address newSigner, uint256 newKey) = makeAddrAndKey("newSigner");
        vm.prank(timelock);
        pricer.setSigner(newSigner);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.RootFromRotatedSigner.selector, collection, 1, 2));
        valuation.traitPremium(collection, tokenIds[0], premiums[0], _proof(0), P);
        // The old key can no longer publish; the new one can, with a fresh epoch.
        bytes32 r2 = _buildTree(collection, EPOCH + 1);
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH + 1, r2, uint64(block.timestamp + 1 days));
        bytes memory oldSig = _sign(signerKey, pricer, u);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.InvalidRootSignature.selector, signerAddr));
        pricer.publishRoot(u, oldSig);
        pricer.publishRoot(u, _sign(newKey, pricer, u));
    }

    function test_RevertWhen_setSignerNotTimelock() public {
        bytes32 before = _recordHash(collection);
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, guardian));
        pricer.setSigner(guardian);
        assertEq(_recordHash(collection), before);
    }

    function test_RevertWhen_premiumMultipleOutOfBounds() public {
        bytes32 before = _recordHash(collection);
        vm.startPrank(timelock);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.InvalidPremiumMultiple.selector, 0, 10e18));
        pricer.setPremiumMultiple(collection, 0);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.InvalidPremiumMultiple.selector, 10e18 + 1, 10e18));
        pricer.setPremiumMultiple(collection, 10e18 + 1);
        vm.stopPrank();
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, address(this)));
        pricer.setPremiumMultiple(collection, 3e18);
        assertEq(_recordHash(collection), before);
    }

    function test_revokeRoot_byGuardianKeepsEpoch() public {
        _publish();
        vm.prank(guardian);
        pricer.revokeRoot(collection);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.NoRoot.selector, collection));
        valuation.traitPremium(collection, tokenIds[0], premiums[0], _proof(0), P);
        // The revoked epoch cannot come back.
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH, root, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(signerKey, pricer, u);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.StaleEpoch.selector, collection, EPOCH, EPOCH));
        pricer.publishRoot(u, sig);
    }

    /// @dev Issue 15: a guardian revocation held only until the signer published any later epoch. It now holds until
    /// the timelock lifts it, whatever the signer publishes.
    function test_revokeRoot_holdsUntilTheTimelockRestores() public {
        _publish();
        vm.prank(guardian);
        pricer.revokeRoot(collection);
        ITraitPricer.TraitRoot memory u = _update(collection, EPOCH + 1, root, uint64(block.timestamp + 1 days));
        bytes memory sig = _sign(signerKey, pricer, u);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.RootsRevoked.selector, collection));
        pricer.publishRoot(u, sig);
        // Only the timelock lifts it.
        vm.prank(guardian);
        vm.expectRevert();
        pricer.restoreRoots(collection);
        vm.expectEmit(address(pricer));
        emit ITraitPricer.RootsRestored(collection);
        vm.prank(timelock);
        pricer.restoreRoots(collection);
        pricer.publishRoot(u, sig);
        assertEq(pricer.rootRecord(collection).root, root);
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(ITraitPricer.RootsNotRevoked.selector, collection));
        pricer.restoreRoots(collection);
    }

    function testFuzz_cappedPremium_neverAboveCap(uint256 unitPrice, uint64 multiple) public {
        unitPrice = bound(unitPrice, 0, 1e30);
        multiple = uint64(bound(multiple, 1, 10e18));
        vm.prank(timelock);
        pricer.setPremiumMultiple(collection, multiple);
        _publish();
        uint256 capped = valuation.traitPremium(collection, tokenIds[3], premiums[3], _proof(3), unitPrice);
        assertLe(capped, premiums[3]);
        assertLe(capped * 1e18, unitPrice * multiple);
    }
}
