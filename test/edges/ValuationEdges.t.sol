// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IGoverned} from "../../src/interfaces/IGoverned.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {IValuationAdmin} from "../../src/interfaces/IValuationAdmin.sol";
import {AuctionLib} from "../../src/liquidation/AuctionLib.sol";
import {Valuation} from "../../src/oracle/Valuation.sol";
import {ValuationMath} from "../../src/oracle/ValuationMath.sol";
import {TraitPricer} from "../../src/pricer/TraitPricer.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {ValuationBase} from "../utils/ValuationBase.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @notice Valuation, trait pricer and pricing-library paths that the scenario suites do not reach: initialiser and
/// admin input validation, unlisted collections, idempotent guardian actions, a sequencer feed that fails, and the
/// numeric edges of the decay maths. Each revert test asserts the exact error and that nothing changed.
contract ValuationEdgesTest is ValuationBase {
    /*//////////////////////////////////////////////////////////////
                              INITIALISATION
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_initialize_assetDecimalsAbove36() public {
        Valuation impl = new Valuation(address(0), 0);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.AssetDecimalsTooHigh.selector, 37, 36));
        new ERC1967Proxy(address(impl), abi.encodeCall(Valuation.initialize, (timelock, guardian, 37)));
    }

    /*//////////////////////////////////////////////////////////////
                            UNLISTED COLLECTIONS
    //////////////////////////////////////////////////////////////*/

    function test_outage_unlistedCollectionHasNone() public {
        (uint64 since, uint64 cumulative) = valuation.outage(makeAddr("unlisted"));
        assertEq(since, 0);
        assertEq(cumulative, 0);
    }

    function test_RevertWhen_adminOnUnlistedCollection() public {
        address unlisted = makeAddr("unlisted");
        vm.startPrank(timelock);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.CollectionNotListed.selector, unlisted));
        valuation.delistCollection(unlisted);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.CollectionNotListed.selector, unlisted));
        valuation.setFeed(unlisted, address(feed), HEARTBEAT, 0, MAX_ANSWER);
        vm.stopPrank();
        (IValuationAdmin.FeedConfig memory f,,) = valuation.collectionConfig(unlisted);
        assertFalse(f.listed);
    }

    function test_RevertWhen_listCollection_zeroAddress() public {
        vm.prank(timelock);
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        valuation.listCollection(address(0), address(feed), HEARTBEAT, 0, MAX_ANSWER, MAX_PRICE);
    }

    /*//////////////////////////////////////////////////////////////
                             CONFIG VALIDATION
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_feedDecimalsAbove36_orMaxAnswerOverflowsPrice() public {
        address other = makeAddr("other");
        MockAggregator wide = new MockAggregator(37);
        vm.startPrank(timelock);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.FeedDecimalsTooHigh.selector, other, 37, 36));
        valuation.listCollection(other, address(wide), HEARTBEAT, 0, MAX_ANSWER, MAX_PRICE);
        // An accepted answer must fit the uint88 price fields once normalised (same decimals: as is).
        uint96 tooBig = uint96(type(uint88).max) + 1;
        uint256 tooBigEffective = ValuationMath.unpackBound(ValuationMath.packBoundDown(tooBig));
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.FeedMaxAnswerTooHigh.selector, other, tooBigEffective, tooBigEffective
            )
        );
        valuation.listCollection(other, address(feed), HEARTBEAT, 0, tooBig, MAX_PRICE);
        // The largest that fits is accepted.
        valuation.listCollection(other, address(feed), HEARTBEAT, 0, tooBig - 1, MAX_PRICE);
        vm.stopPrank();
        (IValuationAdmin.FeedConfig memory b,,) = valuation.collectionConfig(other);
        // The stored bound keeps 32 significant bits, rounded down (the interface documents the effective bound).
        assertEq(b.maxAnswer, ValuationMath.unpackBound(ValuationMath.packBoundDown(tooBig - 1)));
        assertLe(b.maxAnswer, tooBig - 1);
    }

    function test_RevertWhen_twapWindowOrHalfLifeOutOfBounds() public {
        IValuationAdmin.TwapParams memory p = IValuationAdmin.TwapParams({
            maxPrice: MAX_PRICE,
            clampBps: 1000,
            minSales: 5,
            minWindow: 10 minutes - 1,
            halfLife: 6 hours,
            anchorPeriod: 1 hours
        });
        bytes32 before = _stateHash(valuation, collection);
        vm.startPrank(timelock);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.TwapWindowOutOfRange.selector, collection, 10 minutes - 1, 10 minutes, 7 days
            )
        );
        valuation.setTwapParams(collection, p);
        p.minWindow = 7 days + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.TwapWindowOutOfRange.selector, collection, 7 days + 1, 10 minutes, 7 days
            )
        );
        valuation.setTwapParams(collection, p);
        p.minWindow = 30 minutes;
        p.halfLife = 10 minutes - 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.TwapHalfLifeOutOfRange.selector, collection, 10 minutes - 1, 10 minutes, 30 days
            )
        );
        valuation.setTwapParams(collection, p);
        p.halfLife = 30 days + 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.TwapHalfLifeOutOfRange.selector, collection, 30 days + 1, 10 minutes, 30 days
            )
        );
        valuation.setTwapParams(collection, p);
        vm.stopPrank();
        assertEq(_stateHash(valuation, collection), before);
    }

    function test_setRiskParams_boundsThenStores() public {
        bytes32 before = _stateHash(valuation, collection);
        vm.startPrank(timelock);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.TwapMaxAgeOutOfRange.selector, collection, 30 minutes - 1, 30 minutes, 30 days
            )
        );
        valuation.setRiskParams(collection, 30 minutes - 1, 2000);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuationAdmin.TwapMaxAgeOutOfRange.selector, collection, 30 days + 1, 30 minutes, 30 days
            )
        );
        valuation.setRiskParams(collection, 30 days + 1, 2000);
        assertEq(_stateHash(valuation, collection), before);

        vm.expectEmit(address(valuation));
        emit IValuationAdmin.RiskParamsSet(collection, 2 days, 500);
        valuation.setRiskParams(collection, 2 days, 500);
        vm.stopPrank();
        (IValuationAdmin.FeedConfig memory f,, uint256 twapMaxAge) = valuation.collectionConfig(collection);
        assertEq(twapMaxAge, 2 days);
        assertEq(f.deviationBps, 500);
    }

    function test_RevertWhen_setReporter_zero() public {
        vm.prank(timelock);
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        valuation.setReporter(address(0), true);
        assertFalse(valuation.isReporter(address(0)));
    }

    /*//////////////////////////////////////////////////////////////
                               FREEZE
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_unfreeze_notFrozen() public {
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(IValuationAdmin.CollectionNotFrozen.selector, collection));
        valuation.unfreeze(collection);
    }

    function test_freeze_secondCallKeepsTheFirstFreezeTime() public {
        vm.prank(guardian);
        valuation.freeze(collection);
        (IValuationAdmin.FeedConfig memory f1,,) = valuation.collectionConfig(collection);
        assertTrue(f1.frozen);
        (uint64 since1,) = valuation.outage(collection);
        assertEq(since1, block.timestamp, "the freeze opens the outage clock now");

        _step(1 hours);
        vm.recordLogs();
        vm.prank(guardian);
        valuation.freeze(collection);
        assertEq(vm.getRecordedLogs().length, 0, "no event: nothing changed");
        (IValuationAdmin.FeedConfig memory f2,,) = valuation.collectionConfig(collection);
        assertTrue(f2.frozen);
        (uint64 since2,) = valuation.outage(collection);
        assertEq(since2, since1, "the outage clock keeps its start");
    }

    /*//////////////////////////////////////////////////////////////
                              L2 SEQUENCER
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_price_sequencerFeedUnknownOrReverting() public {
        MockAggregator sequencer = new MockAggregator(0);
        sequencer.setRound(1, 0, block.timestamp - 2 days, block.timestamp - 2 days);
        valuation = _deployValuation(address(sequencer), 1 hours);
        _listAndAuthorise(valuation, collection, feed);
        _makeReady();
        assertEq(valuation.price(collection), P);

        // A round that never started (startedAt 0) is not "up".
        sequencer.setRound(2, 0, 0, block.timestamp);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuation.ValuationUnavailable.selector, collection, IValuation.Status.SequencerDown
            )
        );
        valuation.price(collection);

        // A sequencer feed that reverts blocks prices too, instead of bubbling its error up.
        sequencer.setRound(3, 0, block.timestamp - 2 days, block.timestamp);
        sequencer.setReverts(true);
        vm.expectRevert(
            abi.encodeWithSelector(
                IValuation.ValuationUnavailable.selector, collection, IValuation.Status.SequencerDown
            )
        );
        valuation.price(collection);

        sequencer.setReverts(false);
        assertEq(valuation.price(collection), P);
    }

    /*//////////////////////////////////////////////////////////////
                              TRAIT PRICER
    //////////////////////////////////////////////////////////////*/

    function test_RevertWhen_traitPricer_zeroAddresses() public {
        TraitPricer impl = new TraitPricer();
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        new ERC1967Proxy(address(impl), abi.encodeCall(TraitPricer.initialize, (timelock, guardian, address(0))));

        address signer_ = makeAddr("signer");
        TraitPricer pricer = TraitPricer(
            address(
                new ERC1967Proxy(address(impl), abi.encodeCall(TraitPricer.initialize, (timelock, guardian, signer_)))
            )
        );
        vm.startPrank(timelock);
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        pricer.setSigner(address(0));
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        pricer.enableCollection(address(0));
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        pricer.setPremiumMultiple(address(0), 2e18);
        vm.stopPrank();
        assertEq(pricer.signer(), signer_);
        assertEq(pricer.signerGeneration(), 1);
    }

    /*//////////////////////////////////////////////////////////////
                           DECAY MATHS EDGES
    //////////////////////////////////////////////////////////////*/

    function test_auctionPrice_startWithinRoundingOfReserveIsFlatAtStart() public pure {
        // top/floor rounds to exactly 1 in WAD, so ln is 0: no decay, and the price never drops below the start.
        uint256 reserve = 1e30;
        assertEq(AuctionLib.price(reserve + 1, reserve, 36 hours, 0), reserve + 1);
        assertEq(AuctionLib.price(reserve + 1, reserve, 36 hours, 18 hours), reserve + 1);
        // At the end the reserve applies as always.
        assertEq(AuctionLib.price(reserve + 1, reserve, 36 hours, 36 hours), reserve);
    }
}
