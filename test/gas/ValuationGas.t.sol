// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ITraitPricer} from "../../src/interfaces/ITraitPricer.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {TraitPricer} from "../../src/pricer/TraitPricer.sol";
import {ValuationBase} from "../utils/ValuationBase.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @notice Gas of each operation as its own call, written to snapshots/ValuationGasTest.json. Every measured call
/// is the first call of its test, so storage touched in setUp is cold again; `make gas` runs with `--isolate`, where
/// each call is its own transaction.
contract ValuationGasTest is ValuationBase {
    TraitPricer internal pricer;
    uint256 internal signerKey;
    bytes32 internal leaf;
    bytes32[] internal proof;

    function setUp() public override {
        super.setUp();
        // Full ring buffer (16 sales, 10 minutes apart), one recorded valuation and a recorded outage clock: the
        // steady state.
        _seed(P, 16, 10 minutes);
        feed.setAnswer(int256(P));
        valuation.price(collection);
        valuation.checkpoint(collection);

        address signerAddr;
        (signerAddr, signerKey) = makeAddrAndKey("pricerSigner");
        TraitPricer impl = new TraitPricer();
        pricer = TraitPricer(
            address(
                new ERC1967Proxy(
                    address(impl), abi.encodeCall(TraitPricer.initialize, (timelock, guardian, signerAddr))
                )
            )
        );
        vm.startPrank(timelock);
        pricer.enableCollection(collection);
        valuation.setTraitPricer(address(pricer));
        vm.stopPrank();
        // A proof of depth 10: a tree of ~1,000 tokens.
        leaf = pricer.leafHash(collection, 42, 1 ether, 1);
        bytes32 node = leaf;
        for (uint256 i; i < 10; ++i) {
            bytes32 sibling = keccak256(abi.encode("sibling", i));
            proof.push(sibling);
            node = node < sibling ? keccak256(abi.encode(node, sibling)) : keccak256(abi.encode(sibling, node));
        }
        ITraitPricer.TraitRoot memory u = ITraitPricer.TraitRoot({
            collection: collection, epoch: 1, root: node, expiry: uint64(block.timestamp + 1 days)
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(signerKey, pricer.hashTraitRoot(u));
        pricer.publishRoot(u, abi.encodePacked(r, s, v));
    }

    function test_gas_priceRead() public {
        valuation.price(collection);
        vm.snapshotGasLastCall("valuation price read");
    }

    function test_gas_priceViewRead() public {
        valuation.priceView(collection);
        vm.snapshotGasLastCall("valuation priceView read");
    }

    /// @dev The first valuation after a new feed round: records the new floor reference (one hot-slot write, and a
    /// read of the clock's recorded round).
    function test_gas_priceReadAfterFloorUpdate() public {
        feed.setAnswer(int256(P * 101 / 100));
        valuation.price(collection);
        vm.snapshotGasLastCall("valuation price read, new floor round (records reference)");
    }

    /// @dev The same after two feed rounds that nothing recorded: the reference may only move after recording the
    /// outage clock (one round read back).
    function test_gas_priceReadAfterTwoFloorUpdates() public {
        feed.setAnswer(int256(P * 101 / 100));
        _step(10 minutes);
        feed.setAnswer(int256(P * 102 / 100));
        valuation.price(collection);
        vm.snapshotGasLastCall("valuation price read, two unrecorded floor rounds (records clock and reference)");
    }

    /// @dev The outage clock as the auction module reads it.
    function test_gas_outageView() public {
        _step(10 minutes);
        valuation.outage(collection);
        vm.snapshotGasLastCall("outage view");
    }

    function test_gas_observationWrite() public {
        _step(10 minutes);
        vm.prank(reporter);
        valuation.reportSale(collection, P, block.timestamp);
        vm.snapshotGasLastCall("twap observation write");
    }

    /// @dev A write whose clock record is an hour old records it (once an hour at most).
    function test_gas_observationWriteRecordingClock() public {
        _step(valuation.CLOCK_REFRESH());
        feed.setAnswer(int256(P));
        vm.prank(reporter);
        valuation.reportSale(collection, P, block.timestamp);
        vm.snapshotGasLastCall("twap observation write, hourly clock record");
    }

    function test_gas_relayedObservationWrite() public {
        _step(10 minutes);
        bytes memory sig = _signReport(reporterKey, valuation, _report());
        valuation.relaySale(_report(), sig);
        vm.snapshotGasLastCall("twap relayed observation write");
    }

    function _report() internal view returns (IValuationAdmin.SaleReport memory r) {
        r = IValuationAdmin.SaleReport({
            collection: collection,
            price: P,
            timestamp: block.timestamp,
            listingEpoch: valuation.listingEpoch(collection),
            deadline: block.timestamp + 1 hours
        });
    }

    function test_gas_traitProofVerify() public {
        valuation.traitPremium(collection, 42, 1 ether, proof, P);
        vm.snapshotGasLastCall("trait proof verify");
    }

    /// @dev The feed's own share of a valuation read (the mock reads two cold slots).
    function test_gas_feedLatestRoundData() public {
        feed.latestRoundData();
        vm.snapshotGasLastCall("floor feed latestRoundData (mock, for reference)");
    }

    function test_gas_checkpoint() public {
        valuation.checkpoint(collection);
        vm.snapshotGasLastCall("outage checkpoint");
    }
}
