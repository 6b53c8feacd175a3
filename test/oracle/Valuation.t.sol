// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IGoverned} from "../../src/interfaces/IGoverned.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {Valuation} from "../../src/oracle/Valuation.sol";
import {ValuationMath} from "../../src/oracle/ValuationMath.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {ValuationBase} from "../utils/ValuationBase.sol";
import {Initializable} from "solady/utils/Initializable.sol";

contract ValuationTest is ValuationBase {
    /*//////////////////////////////////////////////////////////////
                         INITIALISATION, STORAGE
    //////////////////////////////////////////////////////////////*/

    function test_initialize_setsRolesAndDecimals() public view {
        assertEq(valuation.timelock(), timelock);
        assertEq(valuation.guardian(), guardian);
        assertEq(valuation.assetDecimals(), 18);
        assertTrue(valuation.isReporter(reporter));
    }

    function test_RevertWhen_initializeTwice() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        valuation.initialize(address(1), address(2), 18);
    }

    function test_RevertWhen_implementationInitialized() public {
        Valuation impl = new Valuation(address(0), 0);
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        impl.initialize(timelock, guardian, 18);
    }

    function test_storageSlot_matchesErc7201() public pure {
        bytes32 expected =
            keccak256(abi.encode(uint256(keccak256("nftlend.storage.Valuation")) - 1)) & ~bytes32(uint256(0xff));
        assertEq(expected, 0xcdeba9e8cb8d93d09fd26c9920928c089afc9aae48459448a7e8f306587cd000);
    }

    function test_storageSlot_holdsAssetDecimals() public view {
        // assetDecimals is the first field of the namespaced struct, in the low byte of its first slot.
        uint256 word =
            uint256(vm.load(address(valuation), 0xcdeba9e8cb8d93d09fd26c9920928c089afc9aae48459448a7e8f306587cd000));
        assertEq(word & 0xff, 18);
    }

    function test_RevertWhen_upgradeNotByTimelock() public {
        Valuation impl = new Valuation(address(0), 0);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, address(this)));
        valuation.upgradeToAndCall(address(impl), "");
    }

    function test_upgradeToAndCall_byTimelockKeepsState() public {
        _makeReady();
        bytes32 before = _stateHash(valuation, collection);
        Valuation impl = new Valuation(address(0), 0);
        vm.prank(timelock);
        valuation.upgradeToAndCall(address(impl), "");
        assertEq(_stateHash(valuation, collection), before);
    }

    /*//////////////////////////////////////////////////////////////
                                LISTING
    //////////////////////////////////////////////////////////////*/

    function test_listCollection_setsDefaults() public view {
        (IValuationAdmin.FeedConfig memory f, IValuationAdmin.TwapParams memory p, uint256 maxAge) =
            valuation.collectionConfig(collection);
        assertEq(f.feed, address(feed));
        assertEq(f.heartbeat, HEARTBEAT);
        assertEq(maxAge, valuation.DEFAULT_TWAP_MAX_AGE());
        assertEq(f.deviationBps, valuation.DEFAULT_DEVIATION_BPS());
        assertEq(f.decimalsShift, 0);
        assertTrue(f.listed);
        assertFalse(f.frozen);
        assertEq(f.minAnswer, 0);
        // The upper bound is packed to 32 significant bits, rounded down: never looser than configured.
        assertLe(f.maxAnswer, MAX_ANSWER);
        assertGt(f.maxAnswer, MAX_ANSWER - MAX_ANSWER / 2 ** 31);
        assertEq(p.maxPrice, MAX_PRICE);
        assertEq(p.clampBps, 1000);
        assertEq(p.minSales, 5);
        assertEq(p.minWindow, 30 minutes);
        assertEq(p.halfLife, 6 hours);
        assertEq(p.anchorPeriod, 1 hours);
        assertEq(valuation.minSpacing(collection), 2 minutes);
        // The clock starts at listing, with an outage (the TWAP is not ready yet).
        (uint64 since, uint64 cumulative) = valuation.outage(collection);
        assertEq(since, START);
        assertEq(cumulative, 0);
    }

    function test_RevertWhen_listCollectionNotTimelock() public {
        address other = makeAddr("other");
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, address(this)));
        valuation.listCollection(other, address(feed), HEARTBEAT, 0, MAX_ANSWER, MAX_PRICE);
        (IValuationAdmin.FeedConfig memory f,,) = valuation.collectionConfig(other);
        assertFalse(f.listed);
        assertEq(_stateHash(valuation, other), _stateHash(valuation, makeAddr("never")));
    }

    function test_RevertWhen_listCollectionTwice() public {
        bytes32 before = _stateHash(valuation, collection);
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.CollectionAlreadyListed.selector, collection));
        valuation.listCollection(collection, address(feed), HEARTBEAT, 0, MAX_ANSWER, MAX_PRICE);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_listCollectionBadFeedConfig() public {
        address other = makeAddr("other");
        vm.startPrank(timelock);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.FeedNotContract.selector, other, makeAddr("eoa")));
        valuation.listCollection(other, makeAddr("eoa"), HEARTBEAT, 0, MAX_ANSWER, MAX_PRICE);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.HeartbeatOutOfRange.selector, other, 0, 7 days));
        valuation.listCollection(other, address(feed), 0, 0, MAX_ANSWER, MAX_PRICE);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.HeartbeatOutOfRange.selector, other, 7 days + 1, 7 days));
        valuation.listCollection(other, address(feed), 7 days + 1, 0, MAX_ANSWER, MAX_PRICE);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.FeedBoundsTooClose.selector, other, 5, 5));
        valuation.listCollection(other, address(feed), HEARTBEAT, 5, 5, MAX_PRICE);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.TwapMaxPriceZero.selector, other));
        valuation.listCollection(other, address(feed), HEARTBEAT, 0, MAX_ANSWER, 0);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.FeedBoundsTooClose.selector, other, 5, 6));
        valuation.listCollection(other, address(feed), HEARTBEAT, 5, 6, MAX_PRICE); // no answer fits between
        vm.stopPrank();
        (IValuationAdmin.FeedConfig memory f,,) = valuation.collectionConfig(other);
        assertFalse(f.listed);
        assertEq(_stateHash(valuation, other), _stateHash(valuation, makeAddr("never")));
    }

    function test_delistCollection_resetsHistoryKeepsClock() public {
        _makeReady();
        valuation.price(collection);
        (uint64 since0, uint64 cumulative0) = valuation.outage(collection);
        assertEq(since0, 0);
        vm.prank(timelock);
        valuation.delistCollection(collection);
        assertEq(uint8(_status(collection)), uint8(IValuation.Status.UnknownCollection));
        (uint64 since, uint64 cumulative) = valuation.outage(collection);
        assertEq(since, block.timestamp, "delisted: an outage from now");
        assertEq(cumulative, cumulative0);
        _step(1 hours);
        vm.prank(timelock);
        valuation.listCollection(collection, address(feed), HEARTBEAT, 0, MAX_ANSWER, MAX_PRICE);
        (uint256[] memory prices,) = valuation.observations(collection);
        assertEq(prices.length, 0);
        (IValuationAdmin.Head memory h, IValuationAdmin.TwapState memory st,,) = valuation.twapState(collection);
        assertEq(h.twap, 0);
        assertEq(st.count, 0);
        assertEq(uint8(_status(collection)), uint8(IValuation.Status.TwapNotReady));
        // The outage goes on (not ready), from the delisting: auctions keep counting it.
        (since, cumulative) = valuation.outage(collection);
        assertEq(since, block.timestamp - 1 hours);
        assertEq(cumulative, cumulative0);
    }

    function test_RevertWhen_settersNotTimelock() public {
        bytes32 before = _stateHash(valuation, collection);
        bytes memory err = abi.encodeWithSelector(IGoverned.NotTimelock.selector, address(this));
        vm.expectRevert(err);
        valuation.delistCollection(collection);
        vm.expectRevert(err);
        valuation.setFeed(collection, address(feed), HEARTBEAT, 0, MAX_ANSWER);
        IValuationAdmin.TwapParams memory p;
        vm.expectRevert(err);
        valuation.setTwapParams(collection, p);
        vm.expectRevert(err);
        valuation.setRiskParams(collection, 1 days, 1000);
        vm.expectRevert(err);
        valuation.setReporter(address(this), true);
        vm.expectRevert(err);
        valuation.setTraitPricer(address(this));
        vm.expectRevert(err);
        valuation.unfreeze(collection);
        assertEq(_stateHash(valuation, collection), before);
        assertFalse(valuation.isReporter(address(this)));
        assertEq(valuation.traitPricer(), address(0));
    }

    function test_RevertWhen_twapParamsOutOfBounds() public {
        IValuationAdmin.TwapParams memory p = IValuationAdmin.TwapParams({
            maxPrice: MAX_PRICE,
            clampBps: 1000,
            minSales: 1,
            minWindow: 30 minutes,
            halfLife: 6 hours,
            anchorPeriod: 1 hours
        });
        bytes32 before = _stateHash(valuation, collection);
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.TwapMinSalesOutOfRange.selector, collection, 1, 2, 16));
        valuation.setTwapParams(collection, p);
        p.minSales = 5;
        p.clampBps = 5001;
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.TwapClampOutOfRange.selector, collection, 5001, 5000));
        valuation.setTwapParams(collection, p);
        p.clampBps = 1000;
        p.anchorPeriod = 29 minutes; // shorter than the window
        vm.prank(timelock);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.TwapAnchorPeriodOutOfRange.selector, collection, 29 minutes, 30 minutes, 7 days
            )
        );
        valuation.setTwapParams(collection, p);
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.DeviationOutOfRange.selector, collection, 50, 100, 5000));
        valuation.setRiskParams(collection, 1 days, 50);
        vm.prank(timelock);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.TwapMaxAgeOutOfRange.selector, collection, 29 minutes, 30 minutes, 30 days
            )
        );
        valuation.setRiskParams(collection, 29 minutes, 1000);
        assertEq(_stateHash(valuation, collection), before);
    }

    /*//////////////////////////////////////////////////////////////
                              OBSERVATIONS
    //////////////////////////////////////////////////////////////*/

    function test_reportSale_recordsObservation() public {
        _step(1);
        vm.expectEmit(address(valuation));
        emit IValuationAdmin.SaleObserved(collection, reporter, P, P, block.timestamp, P);
        _report(P);
        (uint256[] memory prices, uint256[] memory times) = valuation.observations(collection);
        assertEq(prices.length, 1);
        assertEq(prices[0], P);
        assertEq(times[0], block.timestamp);
        assertEq(valuation.newestObservationAge(collection), 0);
        _step(100);
        assertEq(valuation.newestObservationAge(collection), 100);
    }

    function test_newestObservationAge_maxWhenEmpty() public view {
        assertEq(valuation.newestObservationAge(collection), type(uint256).max);
    }

    function test_reportSale_clampsAboveBand() public {
        _makeReady();
        _step(10 minutes);
        _report(10 * P);
        (uint256[] memory prices,) = valuation.observations(collection);
        assertEq(prices[prices.length - 1], P * 11 / 10);
        (,, IValuationAdmin.ClampAnchor memory an,) = valuation.twapState(collection);
        assertEq(an.anchor, P, "anchored on the TWAP before the first clamped sale");
    }

    function test_reportSale_clampsBelowBand() public {
        _makeReady();
        _step(10 minutes);
        _report(1);
        (uint256[] memory prices,) = valuation.observations(collection);
        assertEq(prices[prices.length - 1], P * 9 / 10);
    }

    function test_reportSale_noClampBeforeMinSales() public {
        _seed(P, 4, 10 minutes);
        _step(10 minutes);
        _report(2 * P);
        (uint256[] memory prices,) = valuation.observations(collection);
        assertEq(prices[4], 2 * P);
    }

    function test_reportSale_ringBufferKeepsNewestSixteen() public {
        _seed(P, 20, 10 minutes);
        (uint256[] memory prices, uint256[] memory times) = valuation.observations(collection);
        assertEq(prices.length, 16);
        assertEq(times[15], block.timestamp);
        assertEq(times[0], block.timestamp - 15 * 10 minutes);
        for (uint256 i = 1; i < 16; ++i) {
            assertGt(times[i], times[i - 1]);
        }
    }

    function test_RevertWhen_reportSaleUnknownCollection() public {
        address unknown = makeAddr("unknown");
        bytes32 before = _stateHash(valuation, unknown);
        _step(1);
        vm.prank(reporter);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.CollectionNotListed.selector, unknown));
        valuation.reportSale(unknown, P, block.timestamp);
        assertEq(_stateHash(valuation, unknown), before);
    }

    function test_RevertWhen_reportSaleNotReporter() public {
        bytes32 before = _stateHash(valuation, collection);
        _step(1);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.NotReporter.selector, address(this)));
        valuation.reportSale(collection, P, block.timestamp);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_reportSaleZeroPrice() public {
        bytes32 before = _stateHash(valuation, collection);
        _step(1);
        vm.prank(reporter);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.ZeroPrice.selector, collection));
        valuation.reportSale(collection, 0, block.timestamp);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_reportSaleAbsurdPrice() public {
        bytes32 before = _stateHash(valuation, collection);
        _step(1);
        vm.prank(reporter);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.SalePriceAboveMax.selector, collection, uint256(MAX_PRICE) + 1, MAX_PRICE
            )
        );
        valuation.reportSale(collection, uint256(MAX_PRICE) + 1, block.timestamp);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_reportSaleInFuture() public {
        bytes32 before = _stateHash(valuation, collection);
        _step(1);
        vm.prank(reporter);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.ObservationInFuture.selector, collection, block.timestamp + 1, block.timestamp
            )
        );
        valuation.reportSale(collection, P, block.timestamp + 1);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_reportSaleOutOfOrder() public {
        _seed(P, 2, 10 minutes);
        uint256 newest = block.timestamp;
        bytes32 before = _stateHash(valuation, collection);
        _step(10 minutes);
        vm.startPrank(reporter);
        vm.expectRevert(
            abi.encodeWithSelector(IValuationAdmin.ObservationOutOfOrder.selector, collection, newest, newest)
        );
        valuation.reportSale(collection, P, newest);
        vm.expectRevert(
            abi.encodeWithSelector(IValuationAdmin.ObservationOutOfOrder.selector, collection, newest - 1, newest)
        );
        valuation.reportSale(collection, P, newest - 1);
        vm.stopPrank();
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_reportSaleSameBlock() public {
        _step(10 minutes);
        _report(P);
        bytes32 before = _stateHash(valuation, collection);
        vm.warp(block.timestamp + 1); // same block number, later second (as a sequencer might)
        vm.prank(reporter);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.ObservationSameBlock.selector, collection, block.number));
        valuation.reportSale(collection, P, block.timestamp);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_reportSaleTooSoon() public {
        _step(10 minutes);
        _report(P);
        uint256 newest = block.timestamp;
        bytes32 before = _stateHash(valuation, collection);
        _step(2 minutes - 1);
        vm.prank(reporter);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.ObservationTooSoon.selector, collection, block.timestamp, newest + 2 minutes
            )
        );
        valuation.reportSale(collection, P, block.timestamp);
        assertEq(_stateHash(valuation, collection), before);
        _step(1);
        _report(P); // exactly the spacing later: accepted
        (uint256[] memory prices,) = valuation.observations(collection);
        assertEq(prices.length, 2);
    }

    /// @dev The spacing follows the window: ceil(minWindow / 15), so 16 kept sales always cover the window.
    function test_minSpacing_followsWindow() public {
        IValuationAdmin.TwapParams memory p = IValuationAdmin.TwapParams({
            maxPrice: MAX_PRICE,
            clampBps: 1000,
            minSales: 5,
            minWindow: 1 hours + 1,
            halfLife: 6 hours,
            anchorPeriod: 2 hours
        });
        vm.prank(timelock);
        valuation.setTwapParams(collection, p);
        assertEq(valuation.minSpacing(collection), 241);
        assertEq(valuation.minSpacing(makeAddr("unknown")), 0);
    }

    /*//////////////////////////////////////////////////////////////
                            RELAYED REPORTS
    //////////////////////////////////////////////////////////////*/

    function _saleReport() internal view returns (IValuationAdmin.SaleReport memory r) {
        r = IValuationAdmin.SaleReport({
            collection: collection,
            price: P,
            timestamp: block.timestamp,
            listingEpoch: valuation.listingEpoch(collection),
            deadline: block.timestamp + 1 hours
        });
    }

    function test_relaySale_acceptsReporterSignature() public {
        _step(1);
        IValuationAdmin.SaleReport memory r = _saleReport();
        bytes memory sig = _signReport(reporterKey, valuation, r);
        vm.prank(makeAddr("relayer"));
        valuation.relaySale(r, sig);
        (uint256[] memory prices,) = valuation.observations(collection);
        assertEq(prices.length, 1);
    }

    function test_RevertWhen_relaySaleSignedByStranger() public {
        (address stranger, uint256 strangerKey) = makeAddrAndKey("stranger");
        _step(1);
        IValuationAdmin.SaleReport memory r = _saleReport();
        bytes memory sig = _signReport(strangerKey, valuation, r);
        bytes32 before = _stateHash(valuation, collection);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.InvalidReportSignature.selector, stranger));
        valuation.relaySale(r, sig);
        assertEq(_stateHash(valuation, collection), before);
    }

    /// @dev Issue 15: after a delist and relist, old signed reports from public calldata rebuilt the new listing's
    /// baseline (both jump references were reset). They are now void: the listing epoch moved on.
    function test_RevertWhen_relaySaleReplayedAcrossRelisting() public {
        IValuationAdmin.SaleReport[] memory old = new IValuationAdmin.SaleReport[](5);
        bytes[] memory sigs = new bytes[](5);
        for (uint256 i; i < 5; ++i) {
            _step(10 minutes);
            old[i] = _saleReport();
            old[i].price = P / 3;
            old[i].deadline = block.timestamp + 30 days;
            sigs[i] = _signReport(reporterKey, valuation, old[i]);
            valuation.relaySale(old[i], sigs[i]);
        }
        vm.startPrank(timelock);
        valuation.delistCollection(collection);
        valuation.listCollection(collection, address(feed), HEARTBEAT, 0, MAX_ANSWER, MAX_PRICE);
        vm.stopPrank();
        assertEq(valuation.listingEpoch(collection), old[0].listingEpoch + 1);
        bytes32 before = _stateHash(valuation, collection);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.WrongListingEpoch.selector, collection, old[0].listingEpoch, old[0].listingEpoch + 1
            )
        );
        valuation.relaySale(old[0], sigs[0]);
        assertEq(_stateHash(valuation, collection), before);
        // Nor twice within a listing (strictly increasing times).
        _step(1);
        IValuationAdmin.SaleReport memory r = _saleReport();
        bytes memory sig = _signReport(reporterKey, valuation, r);
        valuation.relaySale(r, sig);
        _step(valuation.minSpacing(collection));
        vm.expectRevert(
            abi.encodeWithSelector(IValuationAdmin.ObservationOutOfOrder.selector, collection, r.timestamp, r.timestamp)
        );
        valuation.relaySale(r, sig);
    }

    function test_RevertWhen_relaySaleAfterDeadline() public {
        _step(1);
        IValuationAdmin.SaleReport memory r = _saleReport();
        bytes memory sig = _signReport(reporterKey, valuation, r);
        _step(1 hours + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IValuationAdmin.ReportExpired.selector, collection, r.deadline, block.timestamp)
        );
        valuation.relaySale(r, sig);
    }

    function test_RevertWhen_relaySaleUnknownCollection() public {
        address unknown = makeAddr("unknown");
        _step(1);
        IValuationAdmin.SaleReport memory r = IValuationAdmin.SaleReport({
            collection: unknown, price: P, timestamp: block.timestamp, listingEpoch: 0, deadline: block.timestamp
        });
        bytes memory sig = _signReport(reporterKey, valuation, r);
        bytes32 before = _stateHash(valuation, unknown);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.CollectionNotListed.selector, unknown));
        valuation.relaySale(r, sig);
        assertEq(_stateHash(valuation, unknown), before);
    }

    function test_RevertWhen_relaySaleMalformedSignature() public {
        _step(1);
        bytes32 before = _stateHash(valuation, collection);
        IValuationAdmin.SaleReport memory r = _saleReport();
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.InvalidReportSignature.selector, address(0)));
        valuation.relaySale(r, hex"1234");
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_relaySaleTamperedField() public {
        _step(1);
        IValuationAdmin.SaleReport memory r = _saleReport();
        bytes memory sig = _signReport(reporterKey, valuation, r);
        r.price = 2 * P;
        address recovered =
            ecrecover(valuation.hashSaleReport(r), uint8(sig[64]), bytes32(_slice(sig, 0)), bytes32(_slice(sig, 32)));
        bytes32 before = _stateHash(valuation, collection);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.InvalidReportSignature.selector, recovered));
        valuation.relaySale(r, sig);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_relaySaleReplayed() public {
        _step(1);
        IValuationAdmin.SaleReport memory r = _saleReport();
        bytes memory sig = _signReport(reporterKey, valuation, r);
        valuation.relaySale(r, sig);
        bytes32 before = _stateHash(valuation, collection);
        _step(10 minutes);
        vm.expectRevert(
            abi.encodeWithSelector(IValuationAdmin.ObservationOutOfOrder.selector, collection, r.timestamp, r.timestamp)
        );
        valuation.relaySale(r, sig);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_relaySaleCrossChain() public {
        _step(1);
        IValuationAdmin.SaleReport memory r = _saleReport();
        bytes memory sig = _signReport(reporterKey, valuation, r);
        vm.chainId(block.chainid + 1);
        address recovered =
            ecrecover(valuation.hashSaleReport(r), uint8(sig[64]), bytes32(_slice(sig, 0)), bytes32(_slice(sig, 32)));
        assertTrue(recovered != reporter);
        bytes32 before = _stateHash(valuation, collection);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.InvalidReportSignature.selector, recovered));
        valuation.relaySale(r, sig);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_relaySaleCrossContract() public {
        Valuation other = _deployValuation(address(0), 0);
        _listAndAuthorise(other, collection, feed);
        _step(1);
        IValuationAdmin.SaleReport memory r = _saleReport();
        bytes memory sig = _signReport(reporterKey, valuation, r);
        address recovered =
            ecrecover(other.hashSaleReport(r), uint8(sig[64]), bytes32(_slice(sig, 0)), bytes32(_slice(sig, 32)));
        bytes32 before = _stateHash(other, collection);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.InvalidReportSignature.selector, recovered));
        other.relaySale(r, sig);
        assertEq(_stateHash(other, collection), before);
    }

    function _slice(bytes memory b, uint256 at) internal pure returns (bytes32 out) {
        assembly {
            out := mload(add(add(b, 32), at))
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 PRICE
    //////////////////////////////////////////////////////////////*/

    function test_price_returnsTwapWhenBelowFloor() public {
        _makeReady();
        feed.setAnswer(int256(P * 11 / 10));
        assertEq(valuation.price(collection), P);
    }

    function test_price_returnsFloorWhenBelowTwap() public {
        _makeReady();
        feed.setAnswer(int256(P * 9 / 10));
        assertEq(valuation.price(collection), P * 9 / 10);
        (uint256 p, IValuation.Status s) = valuation.priceView(collection);
        assertEq(p, P * 9 / 10);
        assertEq(uint8(s), uint8(IValuation.Status.Ok));
    }

    function test_price_readTwiceSameValue() public {
        _makeReady();
        assertEq(valuation.price(collection), valuation.price(collection));
    }

    function test_price_normalisesFeedDecimals() public {
        MockAggregator f8 = new MockAggregator(8);
        vm.prank(timelock);
        valuation.setFeed(collection, address(f8), HEARTBEAT, 0, 1e16);
        _seed(P, 5, 10 minutes);
        f8.setAnswer(9e8); // 9 units with 8 decimals
        assertEq(valuation.price(collection), 9 ether);
    }

    function test_price_normalisesToSixDecimalAsset() public {
        valuation = _deployValuation(address(0), 0, 6);
        _listAndAuthorise(valuation, collection, feed);
        _seed(20_000e6, 5, 10 minutes);
        feed.setAnswer(15_000.123456789e18);
        assertEq(valuation.price(collection), 15_000.123456e6); // rounded down
    }

    function test_RevertWhen_priceUnknownCollection() public {
        address unknown = makeAddr("unknown");
        bytes32 before = _stateHash(valuation, unknown);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuation.ValuationUnavailable.selector, unknown, IValuation.Status.UnknownCollection
            )
        );
        valuation.price(unknown);
        assertEq(_stateHash(valuation, unknown), before);
        (uint256 p, IValuation.Status s) = valuation.priceView(unknown);
        assertEq(p, 0);
        assertEq(uint8(s), uint8(IValuation.Status.UnknownCollection));
        (uint64 since, uint64 cumulative) = valuation.outage(unknown);
        assertEq(since, 0);
        assertEq(cumulative, 0);
    }

    function test_RevertWhen_priceTooFewSales() public {
        _seed(P, 4, 10 minutes);
        feed.setAnswer(int256(P));
        bytes32 before = _stateHash(valuation, collection);
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.TwapNotReady)
        );
        valuation.price(collection);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_priceWindowNotCovered() public {
        _seed(P, 5, 2 minutes); // five sales at the minimum spacing: an 8-minute window
        feed.setAnswer(int256(P));
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.TwapNotReady)
        );
        valuation.price(collection);
    }

    function test_RevertWhen_priceTwapStale() public {
        _makeReady();
        _step(uint256(valuation.DEFAULT_TWAP_MAX_AGE()) + 1);
        feed.setAnswer(int256(P));
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.TwapStale)
        );
        valuation.price(collection);
    }

    function test_price_okAtExactHeartbeat() public {
        _makeReady();
        feed.setUpdatedAt(block.timestamp - HEARTBEAT);
        assertEq(valuation.price(collection), P);
    }

    function test_RevertWhen_priceFloorStale() public {
        _makeReady();
        feed.setUpdatedAt(block.timestamp - HEARTBEAT - 1);
        bytes32 before = _stateHash(valuation, collection);
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.FloorStale)
        );
        valuation.price(collection);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_priceFeedReverts() public {
        _makeReady();
        feed.setReverts(true);
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.FloorStale)
        );
        valuation.price(collection);
    }

    function test_RevertWhen_priceNegativeAnswer() public {
        _makeReady();
        feed.setAnswer(-1);
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.FloorInvalid)
        );
        valuation.price(collection);
        feed.setAnswer(0);
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.FloorInvalid)
        );
        valuation.price(collection);
    }

    function test_RevertWhen_priceAnswerAtBounds() public {
        _makeReady();
        vm.prank(timelock);
        valuation.setFeed(collection, address(feed), HEARTBEAT, uint96(P / 2), uint96(2 * P));
        feed.setAnswer(int256(P / 2));
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.FloorInvalid)
        );
        valuation.price(collection);
        feed.setAnswer(int256(2 * P));
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.FloorInvalid)
        );
        valuation.price(collection);
        feed.setAnswer(int256(P)); // back inside: fine again (P is the jump reference's level)
        assertEq(valuation.price(collection), P);
    }

    /// @dev Bounds are packed to 32 significant bits: a lower bound rounds up, an upper bound down, so the effective
    /// interval is never wider than the configured one and is exact for values with few significant bits.
    function testFuzz_boundPacking_neverLoosens(uint96 x) public pure {
        uint256 up = ValuationMath.unpackBound(ValuationMath.packBoundUp(x));
        uint256 down = ValuationMath.unpackBound(ValuationMath.packBoundDown(x));
        assertGe(up, x);
        assertLe(down, x);
        // Within 2^-31 relative (one unit of the 32-bit mantissa).
        assertLe(up - x, x >> 31);
        assertLe(x - down, x >> 31);
        if (x < 2 ** 32) {
            assertEq(up, x);
            assertEq(down, x);
        }
    }

    /*//////////////////////////////////////////////////////////////
                              L2 SEQUENCER
    //////////////////////////////////////////////////////////////*/

    function test_price_sequencerDownThenGrace() public {
        MockAggregator sequencer = new MockAggregator(0);
        sequencer.setRound(1, 0, block.timestamp - 2 days, block.timestamp - 2 days);
        valuation = _deployValuation(address(sequencer), 1 hours);
        _listAndAuthorise(valuation, collection, feed);
        _makeReady();
        assertEq(valuation.price(collection), P);

        sequencer.setRound(2, 1, block.timestamp, block.timestamp); // down
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuation.ValuationUnavailable.selector, collection, IValuation.Status.SequencerDown
            )
        );
        valuation.price(collection);

        _step(10 minutes);
        sequencer.setRound(3, 0, block.timestamp, block.timestamp); // back up: grace starts
        feed.setAnswer(int256(P));
        _step(1 hours);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuation.ValuationUnavailable.selector, collection, IValuation.Status.SequencerDown
            )
        );
        valuation.price(collection);
        _step(1);
        assertEq(valuation.price(collection), P);
    }

    /*//////////////////////////////////////////////////////////////
                                 JUMPS
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_priceFloorJumped() public {
        _makeReady();
        valuation.price(collection); // records the floor reference
        feed.setAnswer(int256(P * 79 / 100)); // -21 %
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.Jumped)
        );
        valuation.price(collection);
    }

    function test_price_floorMoveWithinDeviationAccepted() public {
        _makeReady();
        valuation.price(collection);
        // Just within the deviation (a move of exactly the deviation is a jump: ValuationHunter.t.sol).
        uint256 f = P * (10_000 - valuation.DEFAULT_DEVIATION_BPS() + 1) / 10_000;
        feed.setAnswer(int256(f));
        assertEq(valuation.price(collection), f);
    }

    function test_RevertWhen_priceTwapJumped() public {
        _makeReady();
        valuation.price(collection); // records the TWAP reference
        // A wide clamp and a short anchor period let the TWAP move 50 % per period.
        IValuationAdmin.TwapParams memory p = IValuationAdmin.TwapParams({
            maxPrice: MAX_PRICE,
            clampBps: 5000,
            minSales: 5,
            minWindow: 30 minutes,
            halfLife: 6 hours,
            anchorPeriod: 30 minutes
        });
        vm.prank(timelock);
        valuation.setTwapParams(collection, p);
        _seed(10 * P, 4, 10 minutes);
        IValuationAdmin.Head memory h = _head(collection);
        assertGt(h.twap, P * 12 / 10);
        assertTrue(h.jumped);
        feed.setAnswer(int256(P));
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.Jumped)
        );
        valuation.price(collection);
    }

    function test_checkpoint_reanchorsAfterJumpCooldown() public {
        _makeReady();
        valuation.price(collection);
        (, uint64 cumulative0) = valuation.outage(collection);
        _step(1 minutes);
        feed.setAnswer(int256(P / 2));
        valuation.checkpoint(collection); // records the outage
        (uint64 since, uint64 cumulative) = valuation.outage(collection);
        assertEq(since, block.timestamp);
        assertEq(cumulative, cumulative0);
        _step(30 minutes);
        feed.setAnswer(int256(P / 2));
        valuation.checkpoint(collection); // too early: still jumped
        assertEq(uint8(_status(collection)), uint8(IValuation.Status.Jumped));
        _step(30 minutes);
        feed.setAnswer(int256(P / 2));
        valuation.checkpoint(collection);
        assertEq(valuation.price(collection), P / 2);
        (since, cumulative) = valuation.outage(collection);
        assertEq(since, 0);
        assertEq(cumulative - cumulative0, 1 hours);
    }

    function test_RevertWhen_checkpointUnknownCollection() public {
        address unknown = makeAddr("unknown");
        bytes32 before = _stateHash(valuation, unknown);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.CollectionNotListed.selector, unknown));
        valuation.checkpoint(unknown);
        assertEq(_stateHash(valuation, unknown), before);
    }

    /*//////////////////////////////////////////////////////////////
                                GUARDIAN
    //////////////////////////////////////////////////////////////*/

    function test_freeze_blocksPriceAndOnlyTimelockUnfreezes() public {
        _makeReady();
        (, uint64 cumulative0) = valuation.outage(collection);
        vm.prank(guardian);
        valuation.freeze(collection);
        vm.expectRevert(
            abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, collection, IValuation.Status.Frozen)
        );
        valuation.price(collection);
        (IValuationAdmin.FeedConfig memory f,,) = valuation.collectionConfig(collection);
        assertTrue(f.frozen);
        (uint64 since,) = valuation.outage(collection);
        assertEq(since, block.timestamp);

        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, guardian));
        valuation.unfreeze(collection);

        _step(10 minutes);
        vm.prank(timelock);
        valuation.unfreeze(collection);
        feed.setAnswer(int256(P));
        assertEq(valuation.price(collection), P);
        (uint64 since2, uint64 cumulative) = valuation.outage(collection);
        assertEq(since2, 0);
        assertEq(cumulative - cumulative0, 10 minutes);
    }

    function test_RevertWhen_unfreezeNotFrozen() public {
        bytes32 before = _stateHash(valuation, collection);
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.CollectionNotFrozen.selector, collection));
        valuation.unfreeze(collection);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_RevertWhen_freezeByStranger() public {
        bytes32 before = _stateHash(valuation, collection);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotGuardian.selector, address(this)));
        valuation.freeze(collection);
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_revokeReporter_byGuardian() public {
        vm.prank(guardian);
        valuation.revokeReporter(reporter);
        assertFalse(valuation.isReporter(reporter));
    }

    /*//////////////////////////////////////////////////////////////
                                  FUZZ
    //////////////////////////////////////////////////////////////*/

    function testFuzz_reportSale_twapWithinKeptRange(uint256 seed) public {
        for (uint256 i; i < 20; ++i) {
            _step(bound(uint256(keccak256(abi.encode(seed, i, "dt"))), 2 minutes, 6 hours));
            _report(bound(uint256(keccak256(abi.encode(seed, i))), 1, MAX_PRICE));
        }
        (uint256[] memory prices,) = valuation.observations(collection);
        uint256 lo = type(uint256).max;
        uint256 hi;
        for (uint256 i; i < prices.length; ++i) {
            if (prices[i] < lo) lo = prices[i];
            if (prices[i] > hi) hi = prices[i];
        }
        IValuationAdmin.Head memory h = _head(collection);
        assertGe(h.twap, lo);
        assertLe(h.twap, hi);
    }

    function testFuzz_price_neverAboveEitherSource(uint256 twapPrice, uint256 floor) public {
        twapPrice = bound(twapPrice, 1, MAX_PRICE);
        (IValuationAdmin.FeedConfig memory f,,) = valuation.collectionConfig(collection);
        floor = bound(floor, 1, f.maxAnswer - 1);
        _seed(twapPrice, 5, 10 minutes);
        feed.setAnswer(int256(floor));
        uint256 p = valuation.price(collection);
        IValuationAdmin.Head memory h = _head(collection);
        assertLe(p, h.twap);
        assertLe(p, floor);
        assertEq(p, ValuationMath.min(h.twap, floor));
    }

    function testFuzz_reportSale_recordedWithinBand(uint256 salePrice) public {
        salePrice = bound(salePrice, 1, MAX_PRICE);
        _makeReady();
        _step(10 minutes);
        _report(salePrice);
        (uint256[] memory prices,) = valuation.observations(collection);
        uint256 recorded = prices[prices.length - 1];
        assertGe(recorded, P * 9 / 10);
        assertLe(recorded, P * 11 / 10);
    }
}
