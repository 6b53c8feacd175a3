// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IValuation} from "../../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {Valuation} from "../../src/oracle/Valuation.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Test} from "forge-std/Test.sol";

/// @notice Shared fixture: a Valuation proxy on L1, one listed collection with an 18-decimal floor feed, and an
/// authorised reporter whose key signs relayed reports.
abstract contract ValuationBase is Test {
    uint256 internal constant P = 10 ether;
    uint24 internal constant HEARTBEAT = 1 days;
    uint96 internal constant MAX_ANSWER = 1_000_000 ether;
    uint88 internal constant MAX_PRICE = 100_000 ether;
    uint256 internal constant START = 1_700_000_000;

    Valuation internal valuation;
    MockAggregator internal feed;
    address internal timelock = makeAddr("timelock");
    address internal guardian = makeAddr("guardian");
    address internal collection = makeAddr("collection");
    address internal reporter;
    uint256 internal reporterKey;

    function setUp() public virtual {
        vm.warp(START);
        vm.roll(1000);
        (reporter, reporterKey) = makeAddrAndKey("reporter");
        valuation = _deployValuation(address(0), 0);
        feed = new MockAggregator(18);
        feed.setAnswer(int256(P));
        _listAndAuthorise(valuation, collection, feed);
    }

    function _deployValuation(address sequencer, uint256 grace) internal returns (Valuation) {
        return _deployValuation(sequencer, grace, 18);
    }

    function _deployValuation(address sequencer, uint256 grace, uint8 decimals) internal returns (Valuation v) {
        Valuation impl = new Valuation(sequencer, grace);
        v = Valuation(
            address(
                new ERC1967Proxy(address(impl), abi.encodeCall(Valuation.initialize, (timelock, guardian, decimals)))
            )
        );
    }

    function _listAndAuthorise(Valuation v, address c, MockAggregator f) internal {
        vm.startPrank(timelock);
        v.listCollection(c, address(f), HEARTBEAT, 0, MAX_ANSWER, MAX_PRICE);
        v.setReporter(reporter, true);
        vm.stopPrank();
    }

    /// @dev Next block, `dt` seconds later.
    function _step(uint256 dt) internal {
        vm.warp(block.timestamp + dt);
        vm.roll(block.number + 1);
    }

    function _report(uint256 salePrice) internal {
        vm.prank(reporter);
        valuation.reportSale(collection, salePrice, block.timestamp);
    }

    /// @dev `n` sales at `salePrice`, `spacing` seconds and one block apart.
    function _seed(uint256 salePrice, uint256 n, uint256 spacing) internal {
        for (uint256 i; i < n; ++i) {
            _step(spacing);
            _report(salePrice);
        }
    }

    /// @dev Ready TWAP at P (5 sales, 10 minutes apart: a 40-minute window) and a fresh floor at P.
    function _makeReady() internal {
        _seed(P, 5, 10 minutes);
        feed.setAnswer(int256(P));
    }

    /// @dev Everything a collection has in storage (config, TWAP state, anchor, sums, observations, outage clock).
    function _stateHash(Valuation v, address c) internal view returns (bytes32) {
        (
            IValuationAdmin.Head memory h,
            IValuationAdmin.TwapState memory st,
            IValuationAdmin.ClampAnchor memory an,
            IValuationAdmin.Accumulator memory acc
        ) = v.twapState(c);
        (uint256[] memory prices, uint256[] memory times) = v.observations(c);
        (IValuationAdmin.FeedConfig memory f, IValuationAdmin.TwapParams memory p, uint256 maxAge) =
            v.collectionConfig(c);
        (IValuationAdmin.OutageClock memory clk, IValuationAdmin.SequencerClock memory seq) = v.outageClock(c);
        return keccak256(
            abi.encode(
                keccak256(abi.encode(h, st, an, acc)), prices, times, f, p, maxAge, keccak256(abi.encode(clk, seq))
            )
        );
    }

    function _head(address c) internal view returns (IValuationAdmin.Head memory h) {
        (h,,,) = valuation.twapState(c);
    }

    function _status(address c) internal view returns (IValuation.Status s) {
        (, s) = valuation.priceView(c);
    }

    function _signReport(
        uint256 key,
        Valuation v,
        IValuationAdmin.SaleReport memory r
    ) internal view returns (bytes memory) {
        (uint8 vv, bytes32 rr, bytes32 ss) = vm.sign(key, v.hashSaleReport(r));
        return abi.encodePacked(rr, ss, vv);
    }
}
