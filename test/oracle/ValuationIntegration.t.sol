// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {DefaultParams} from "../../script/lib/DefaultParams.sol";
import {LendingPool} from "../../src/LendingPool.sol";
import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {AuctionLib} from "../../src/liquidation/AuctionLib.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {Valuation} from "../../src/oracle/Valuation.sol";
import {LendingPoolExtension} from "../../src/pool/LendingPoolExtension.sol";
import {MockAggregator} from "../mocks/MockAggregator.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {MockERC721} from "../mocks/MockNFTs.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Test} from "forge-std/Test.sol";

/// @notice The issue's valuation clause end to end, with the real LendingPool, DutchAuction and Valuation behind their
/// proxies: "when either source is stale, missing or has jumped beyond the configured deviation since the last
/// valuation, borrowing and the start of new liquidations stop for that collection, and the outage is exposed so
/// running auctions can extend by it; repayment never reads the oracle".
contract ValuationIntegrationTest is Test {
    uint256 internal constant P = 10 ether;
    uint256 internal constant PRINCIPAL = 5 ether;

    address internal timelock = makeAddr("timelock");
    address internal guardian = makeAddr("guardian");
    address internal custody = makeAddr("custody");
    address internal lender = makeAddr("lender");
    address internal borrower = makeAddr("borrower");
    address internal keeper = makeAddr("keeper");
    address internal reporter = makeAddr("reporter");

    MockERC20 internal token;
    MockERC721 internal nft;
    MockAggregator internal feed;
    Valuation internal valuation;
    ILendingPool internal pool;
    DutchAuction internal auction;

    function setUp() public {
        vm.warp(1_700_000_000);
        vm.roll(1000);
        token = new MockERC20("Wrapped Ether", "WETH", 18);
        nft = new MockERC721();
        feed = new MockAggregator(18);
        feed.setAnswer(int256(P));

        valuation = Valuation(
            address(
                new ERC1967Proxy(
                    address(new Valuation(address(0), 0)),
                    abi.encodeCall(Valuation.initialize, (timelock, guardian, 18))
                )
            )
        );
        vm.startPrank(timelock);
        valuation.listCollection(address(nft), address(feed), 1 days, 0, 1_000_000 ether, 100_000 ether);
        valuation.setReporter(reporter, true);
        vm.stopPrank();
        for (uint256 i; i < 6; ++i) {
            _sale(10 minutes);
        }
        feed.setAnswer(int256(P));

        // The default model with gentler slopes (10 % and 100 % APR).
        ILendingPoolTypes.RateConfig memory rc = DefaultParams.rateConfig(0.1 ether);
        rc.slope1 = uint48(uint256(0.1e18) / 365 days);
        rc.slope2 = uint48(uint256(1e18) / 365 days);
        LendingPool poolImpl = new LendingPool(
            address(token), address(valuation), address(new LendingPoolExtension(address(token), address(valuation)))
        );
        pool = ILendingPool(
            address(
                new ERC1967Proxy(
                    address(poolImpl),
                    abi.encodeCall(LendingPool.initialize, ("Pool", "pATT", timelock, guardian, custody, rc))
                )
            )
        );
        auction = DutchAuction(
            address(
                new ERC1967Proxy(
                    address(new DutchAuction(ILendingPool(address(pool)))),
                    abi.encodeCall(DutchAuction.initialize, (address(pool), timelock, guardian))
                )
            )
        );
        vm.startPrank(timelock);
        pool.setTerms(address(nft), _terms(), 1000 ether);
        pool.setLiquidator(address(auction));
        vm.stopPrank();

        token.mint(lender, 100 ether);
        vm.startPrank(lender);
        token.approve(address(pool), type(uint256).max);
        pool.deposit(100 ether, lender);
        vm.stopPrank();
    }

    /// @dev Value = price (haircut 100 %), LTV 50 %, liquidation threshold 70 %, auction 150 % -> 70 % over 36 h.
    function _terms() internal pure returns (ILendingPoolTypes.Terms memory) {
        return ILendingPoolTypes.Terms({
            standard: 1,
            ltvBps: 5000,
            liqThresholdBps: 7000,
            haircutBps: 10_000,
            penaltyBps: 500,
            keeperShareBps: 5000,
            auctionStartBps: 15_000,
            auctionReserveBps: 7000,
            duration: 30 days,
            grace: 2 days,
            auctionDuration: 36 hours
        });
    }

    function _step(uint256 dt) internal {
        vm.warp(block.timestamp + dt);
        vm.roll(block.number + 1);
    }

    function _sale(uint256 dt) internal {
        _step(dt);
        vm.prank(reporter);
        valuation.reportSale(address(nft), P, block.timestamp);
    }

    function _borrow(uint256 tokenId) internal returns (uint256 loanId, ILendingPoolTypes.Loan memory loan) {
        nft.mint(borrower, tokenId);
        vm.startPrank(borrower);
        nft.setApprovalForAll(address(pool), true);
        (loanId, loan) = pool.borrow(address(nft), tokenId, 1, PRINCIPAL, borrower, 0, new bytes32[](0));
        vm.stopPrank();
    }

    function _expectBorrowAndStartBlocked(
        IValuation.Status status,
        uint256 loanId,
        ILendingPoolTypes.Loan memory loan
    ) internal {
        nft.mint(borrower, 99);
        vm.startPrank(borrower);
        nft.setApprovalForAll(address(pool), true);
        bytes memory err = abi.encodeWithSelector(IValuation.ValuationUnavailable.selector, address(nft), status);
        vm.expectRevert(err);
        pool.borrow(address(nft), 99, 1, PRINCIPAL, borrower, 0, new bytes32[](0));
        vm.stopPrank();
        bytes32 loanBefore = pool.loanHash(loanId);
        vm.expectRevert(err);
        auction.start(loanId, loan);
        assertEq(pool.loanHash(loanId), loanBefore);
        assertFalse(auction.isLive(loanId));
    }

    /// @dev Steps the floor down by at most 15 % per valuation (never a jump) until the loan is unhealthy.
    /// @dev A drop beyond the deviation is a jump: the new level is used once it has held for the cool-down and a
    /// checkpoint re-anchors (repeated valuations in smaller steps cannot walk the reference down).
    function _dropFloorTo(uint256 target) internal {
        _step(1 minutes);
        feed.setAnswer(int256(target));
        valuation.checkpoint(address(nft));
        _step(valuation.JUMP_COOLDOWN());
        _sale(0);
        feed.setAnswer(int256(target));
        valuation.checkpoint(address(nft));
        assertEq(valuation.price(address(nft)), target);
    }

    /*//////////////////////////////////////////////////////////////
                    EVERY SOURCE PROBLEM STOPS BOTH PATHS
    //////////////////////////////////////////////////////////////*/

    function test_staleFloor_stopsBorrowAndLiquidationStart_repayStillWorks() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrow(1);
        _step(1 days + 1 - 4 * 10 minutes);
        // Keep the TWAP fresh (five sales over the last 40 minutes): only the floor is stale.
        for (uint256 i; i < 5; ++i) {
            _sale(i == 0 ? 0 : 10 minutes);
        }
        assertEq(uint8(_statusNow()), uint8(IValuation.Status.FloorStale));
        _expectBorrowAndStartBlocked(IValuation.Status.FloorStale, loanId, loan);
        // Repayment never reads the oracle.
        token.mint(borrower, 10 ether);
        vm.startPrank(borrower);
        token.approve(address(pool), type(uint256).max);
        pool.repay(loanId, loan, type(uint256).max);
        vm.stopPrank();
        assertEq(nft.ownerOf(1), borrower);
    }

    function test_invalidFloor_stopsBorrowAndLiquidationStart() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrow(1);
        feed.setAnswer(-1);
        _expectBorrowAndStartBlocked(IValuation.Status.FloorInvalid, loanId, loan);
    }

    function test_jumpedFloor_stopsBorrowAndLiquidationStart_untilReanchored() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrow(1);
        _step(1 minutes);
        feed.setAnswer(int256(P * 55 / 100)); // -45 % since the last valuation: unhealthy, but a jump
        _expectBorrowAndStartBlocked(IValuation.Status.Jumped, loanId, loan);
        valuation.checkpoint(address(nft));
        _step(1 hours);
        _sale(0);
        feed.setAnswer(int256(P * 55 / 100));
        valuation.checkpoint(address(nft)); // after the cool-down the references move to the new level
        vm.prank(keeper);
        auction.start(loanId, loan);
        assertTrue(auction.isLive(loanId));
    }

    function test_staleTwap_stopsBorrowAndLiquidationStart() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrow(1);
        _step(1 days + 1);
        feed.setAnswer(int256(P));
        _expectBorrowAndStartBlocked(IValuation.Status.TwapStale, loanId, loan);
    }

    function test_frozen_stopsBorrowAndLiquidationStart() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrow(1);
        vm.prank(guardian);
        valuation.freeze(address(nft));
        _expectBorrowAndStartBlocked(IValuation.Status.Frozen, loanId, loan);
    }

    function test_sequencerDown_stopsBorrowAndLiquidationStart() public {
        MockAggregator sequencer = new MockAggregator(0);
        sequencer.setRound(1, 0, block.timestamp - 2 days, block.timestamp - 2 days);
        // The L2 deployment: the same proxy upgraded to an implementation that knows the sequencer feed.
        Valuation l2 = new Valuation(address(sequencer), 1 hours);
        vm.prank(timelock);
        valuation.upgradeToAndCall(address(l2), "");
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrow(1);
        sequencer.setRound(2, 1, block.timestamp, block.timestamp);
        _expectBorrowAndStartBlocked(IValuation.Status.SequencerDown, loanId, loan);
    }

    /*//////////////////////////////////////////////////////////////
                   RUNNING AUCTIONS EXTEND BY THE OUTAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev A floor outage that starts and ends while nobody calls anything: the auction's clock stops for exactly
    /// its length, with no keeper and no checkpoint.
    function test_auctionExtendsByOutageWithoutKeeper() public {
        // Sales are not reported during the auction: a long TWAP maximum age keeps the TWAP out of this test.
        vm.prank(timelock);
        valuation.setRiskParams(address(nft), 7 days, 2000);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrow(1);
        _dropFloorTo(6 ether); // health 6 x 70 % = 4.2 < 5
        vm.prank(keeper);
        (IDutchAuction.Auction memory a, ILendingPoolTypes.Loan memory live) = auction.start(loanId, loan);
        uint256 startedAt = block.timestamp;

        // Hour 1: normal. Then the feed stops updating for 30 h (heartbeat 1 day: 6 h stale), then resumes.
        _step(1 hours);
        feed.setAnswer(int256(6 ether));
        uint256 lastUpdate = block.timestamp;
        _step(30 hours);
        feed.setAnswer(int256(6 ether));
        uint256 resumed = block.timestamp;
        _step(2 hours);
        feed.setAnswer(int256(6 ether));

        uint256 outageSeconds = resumed - (lastUpdate + 1 days);
        uint256 elapsed = block.timestamp - startedAt - outageSeconds;
        assertEq(auction.elapsed(address(nft), a), elapsed);
        assertEq(
            auction.currentPrice(loanId, live, a), AuctionLib.price(a.startPrice, a.reservePrice, a.duration, elapsed)
        );
    }

    function _statusNow() internal view returns (IValuation.Status s) {
        (, s) = valuation.priceView(address(nft));
    }
}
