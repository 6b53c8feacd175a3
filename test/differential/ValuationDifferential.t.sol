// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ITraitPricer} from "../../src/interfaces/ITraitPricer.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {TraitPricer} from "../../src/pricer/TraitPricer.sol";
import {FfiSigner} from "../utils/FfiSigner.sol";
import {ValuationBase} from "../utils/ValuationBase.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {MerkleProofLib} from "solady/utils/MerkleProofLib.sol";

/// @notice TS <-> Solidity differential tests: the tree builder (ts/lib/merkle.ts) and the EIP-712 signer
/// (ts/lib/eip712.ts) are run through `tsx` and their outputs must be accepted by the contracts, so the two
/// implementations cannot drift.
contract ValuationDifferentialTest is ValuationBase {
    TraitPricer internal pricer;
    address internal signerAddr;
    uint256 internal signerKey;

    function setUp() public override {
        super.setUp();
        (signerAddr, signerKey) = makeAddrAndKey("pricerSigner");
        TraitPricer impl = new TraitPricer();
        pricer = TraitPricer(
            address(
                new ERC1967Proxy(
                    address(impl), abi.encodeCall(TraitPricer.initialize, (timelock, guardian, signerAddr))
                )
            )
        );
        vm.prank(timelock);
        pricer.enableCollection(collection);
        vm.prank(timelock);
        valuation.setTraitPricer(address(pricer));
    }

    function _ffi(string memory script, string memory arg0, bytes memory arg1) internal returns (bytes memory) {
        string[] memory cmd = new string[](bytes(arg0).length == 0 ? 3 : 4);
        cmd[0] = "node_modules/.bin/tsx";
        cmd[1] = script;
        if (bytes(arg0).length == 0) {
            cmd[2] = vm.toString(arg1);
        } else {
            cmd[2] = arg0;
            cmd[3] = vm.toString(arg1);
        }
        return vm.ffi(cmd);
    }

    /// forge-config: default.fuzz.runs = 16
    function testFuzz_merkleTree_tsProofsVerifyOnChain(uint256 seed, uint8 n) public {
        n = uint8(bound(n, 1, 24));
        uint64 epoch = uint64(bound(seed, 1, type(uint64).max));
        uint256[] memory tokenIds = new uint256[](n);
        uint256[] memory premiums = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            tokenIds[i] = uint256(keccak256(abi.encode(seed, i))) >> (i % 2 == 0 ? 0 : 200); // large and small ids
            premiums[i] = bound(uint256(keccak256(abi.encode(seed, i, "p"))), 0, 20 ether);
        }
        bytes memory out = _ffi("ts/ffi/merkle.ts", "", abi.encode(collection, uint256(epoch), tokenIds, premiums));
        (bytes32 root, bytes32[] memory leaves, bytes32[][] memory proofs) =
            abi.decode(out, (bytes32, bytes32[], bytes32[][]));
        assertEq(leaves.length, n);

        // Leaves: the TS leaf equals the contract's double hash.
        for (uint256 i; i < n; ++i) {
            assertEq(leaves[i], pricer.leafHash(collection, tokenIds[i], premiums[i], epoch));
            assertTrue(MerkleProofLib.verify(proofs[i], root, leaves[i]));
        }

        // Root: published with the contract's own digest, then every token verifies through Valuation.traitPremium.
        ITraitPricer.TraitRoot memory u = ITraitPricer.TraitRoot({
            collection: collection, epoch: epoch, root: root, expiry: uint64(block.timestamp + 1 days)
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(signerKey, pricer.hashTraitRoot(u));
        pricer.publishRoot(u, abi.encodePacked(r, s, v));
        for (uint256 i; i < n; ++i) {
            assertEq(valuation.traitPremium(collection, tokenIds[i], premiums[i], proofs[i], 10 ether), premiums[i]);
        }
    }

    /// @dev The two signing tests below run FFI_CASES cases each, drawn from the fuzz seed (`vm.randomUint`, so a run
    /// reproduces with `--fuzz-seed`), each on a fresh copy of the state, instead of being fuzz tests bounded by an
    /// inline `forge-config` (each case costs one `tsx` process). forge 1.7.1 takes the project root of a test with an
    /// inline config as "." under a non-default profile (CI's `ci`), and its fs_permissions then refuse the signer's
    /// key file: in the clean-clone CI run both tests failed on `vm.writeFile` before their first case.
    uint256 internal constant FFI_CASES = 8;

    function test_signRoot_tsSignatureAccepted() public {
        for (uint256 i; i < FFI_CASES; ++i) {
            uint256 state = vm.snapshotState();
            _signRootCase(
                bytes32(vm.randomUint()), uint64(vm.randomUint()), uint32(vm.randomUint()), uint64(vm.randomUint())
            );
            vm.revertToState(state);
        }
    }

    function test_signSale_tsSignatureAccepted() public {
        for (uint256 i; i < FFI_CASES; ++i) {
            uint256 state = vm.snapshotState();
            _signSaleCase(vm.randomUint(), uint64(vm.randomUint()));
            vm.revertToState(state);
        }
    }

    function _signRootCase(bytes32 root, uint64 epoch, uint32 ttl, uint64 chainId) internal {
        if (root == bytes32(0)) root = bytes32(uint256(1));
        epoch = uint64(bound(epoch, 1, type(uint64).max));
        chainId = uint64(bound(chainId, 1, type(uint64).max));
        vm.chainId(chainId);
        uint64 expiry = uint64(block.timestamp + bound(ttl, 1, 30 days));
        (bytes32 digest, bytes memory signature) = FfiSigner.sign(
            "root", abi.encode(uint256(chainId), address(pricer), collection, epoch, root, expiry), signerKey
        );
        ITraitPricer.TraitRoot memory u =
            ITraitPricer.TraitRoot({collection: collection, epoch: epoch, root: root, expiry: expiry});
        assertEq(digest, pricer.hashTraitRoot(u));
        pricer.publishRoot(u, signature);
        assertEq(pricer.rootRecord(collection).root, root);
    }

    function _signSaleCase(uint256 salePrice, uint64 chainId) internal {
        salePrice = bound(salePrice, 1, MAX_PRICE);
        chainId = uint64(bound(chainId, 1, type(uint64).max));
        vm.chainId(chainId);
        _step(1);
        uint256 epoch = valuation.listingEpoch(collection);
        uint256 deadline = block.timestamp + 1 hours;
        (bytes32 digest, bytes memory signature) = FfiSigner.sign(
            "sale",
            abi.encode(uint256(chainId), address(valuation), collection, salePrice, block.timestamp, epoch, deadline),
            reporterKey
        );
        IValuationAdmin.SaleReport memory report = IValuationAdmin.SaleReport({
            collection: collection,
            price: salePrice,
            timestamp: block.timestamp,
            listingEpoch: epoch,
            deadline: deadline
        });
        assertEq(digest, valuation.hashSaleReport(report));
        valuation.relaySale(report, signature);
        (uint256[] memory prices,) = valuation.observations(collection);
        assertEq(prices[0], salePrice);
    }
}
