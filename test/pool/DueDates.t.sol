// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Issue 15, item 7: an oracle outage extends due dates as it extends auctions. While the valuation is out
/// nothing can be priced, so a loan can neither be renewed nor liquidated; its due date moves by the outage seconds
/// since its term began (`Loan.outageBase`), by at most one term. Terms here: 30-day loans, 2 days of grace; the loan
/// is healthy throughout (HF 1.4). Each test below fails on the code before this change, where a loan whose due date
/// passed during an outage was liquidatable the moment the outage ended.
contract DueDatesTest is BaseTest {
    uint256 internal constant TERM = 30 days;
    uint256 internal constant GRACE = 2 days;

    uint256 internal loanId;
    ILendingPoolTypes.Loan internal loan;
    uint256 internal t0;

    function setUp() public override {
        super.setUp();
        _setUpAuctionPool(address(weth));
        t0 = block.timestamp;
        (loanId, loan) = _borrowApe(borrower, 1, PRINCIPAL);
        weth.mint(borrower, 10 ether);
        vm.prank(borrower);
        weth.approve(address(pool), type(uint256).max);
    }

    function _outage(uint256 from, uint256 length) internal {
        vm.warp(from);
        valuation.beginOutage(address(apes));
        vm.warp(from + length);
        valuation.endOutage(address(apes));
    }

    function _expectNotLiquidatable(uint256 liquidatableAt) internal {
        uint256 hf = pool.healthFactor(loan);
        assertGe(hf, WAD, "healthy");
        vm.prank(keeper);
        vm.expectRevert(
            abi.encodeWithSelector(ILendingPoolTypes.LoanNotLiquidatable.selector, loanId, hf, liquidatableAt)
        );
        auction.start(loanId, loan);
    }

    /// @notice The borrow records the valuation's outage seconds so far: only later ones extend this term.
    function test_borrow_recordsOutageBase() public {
        _outage(block.timestamp + 1 days, 3 days);
        _mintApe(borrower, 2);
        vm.prank(borrower);
        (, ILendingPoolTypes.Loan memory second) =
            pool.borrow(address(apes), 2, 1, PRINCIPAL, borrower, 0, new bytes32[](0));
        assertEq(second.outageBase, 3 days);
        assertEq(loan.outageBase, 0);
    }

    /// @notice A 5-day outage across the due date: the loan is late only 5 days later than its due date plus grace,
    /// and the borrower can still renew when the outage ends.
    function test_outageAcrossDueDate_extendsDueDate() public {
        _outage(t0 + 28 days, 5 days); // ends at day 33, past the due date (30) and the old liquidation time (32)
        _expectNotLiquidatable(t0 + TERM + 5 days + GRACE);
        vm.prank(borrower);
        (, ILendingPoolTypes.Loan memory renewed) = pool.renew(loanId, loan);
        assertEq(renewed.dueTime, block.timestamp + TERM, "a full new term");
        assertEq(renewed.outageBase, 5 days, "the outage is spent: the new term starts from it");
    }

    /// @notice Without a renewal, the extended due date plus grace is the first liquidatable second.
    function test_outageAcrossDueDate_liquidatableAfterExtendedGrace() public {
        _outage(t0 + 28 days, 5 days);
        vm.warp(t0 + TERM + 5 days + GRACE);
        _expectNotLiquidatable(t0 + TERM + 5 days + GRACE);
        vm.warp(t0 + TERM + 5 days + GRACE + 1);
        vm.prank(keeper);
        (IDutchAuction.Auction memory a,) = auction.start(loanId, loan);
        assertEq(a.start, block.timestamp);
    }

    /// @notice The renewal window follows the extended due date: open up to it, closed one second later.
    function test_renew_openUntilExtendedDueDate() public {
        _outage(t0 + 10 days, 4 days);
        vm.warp(t0 + TERM + 4 days + 1);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.LoanExpired.selector, loanId, t0 + TERM + 4 days));
        pool.renew(loanId, loan);
        vm.warp(t0 + TERM + 4 days);
        vm.prank(borrower);
        pool.renew(loanId, loan);
    }

    /// @notice A quiet collection's long outage defers its loans by one term at most: after a 45-day outage the loan
    /// is due 30 days late, not 45.
    function test_outageExtension_cappedAtOneTerm() public {
        _outage(t0 + 10 days, 45 days); // ends at day 55
        vm.warp(t0 + 2 * TERM + GRACE);
        _expectNotLiquidatable(t0 + 2 * TERM + GRACE);
        vm.warp(t0 + 2 * TERM + GRACE + 1);
        vm.prank(keeper);
        auction.start(loanId, loan);
    }

    /// @notice An outage still running extends the due date as it grows; nothing starts during it anyway (no price).
    function test_runningOutage_countsTowardsTheExtension() public {
        vm.warp(t0 + 29 days);
        valuation.beginOutage(address(apes));
        vm.warp(t0 + 31 days);
        // The outage runs: no price, so no liquidation and no renewal.
        vm.prank(borrower);
        vm.expectRevert();
        pool.renew(loanId, loan);
        valuation.endOutage(address(apes));
        _expectNotLiquidatable(t0 + TERM + 2 days + GRACE);
    }

    /// @notice An outage before the borrow never extends the loan, and a renewed term starts from the outages up to
    /// the renewal: an outage spent in one term is not spent again in the next.
    function test_renewedTerm_doesNotReuseAnEarlierOutage() public {
        _outage(t0 + 5 days, 3 days);
        vm.warp(t0 + 20 days);
        vm.prank(borrower);
        (, ILendingPoolTypes.Loan memory renewed) = pool.renew(loanId, loan);
        loan = renewed;
        uint256 due = block.timestamp + TERM;
        vm.warp(due + GRACE);
        _expectNotLiquidatable(due + GRACE);
        vm.warp(due + GRACE + 1);
        vm.prank(keeper);
        auction.start(loanId, loan);
    }

    /// @notice Decision (review 2, finding 4): a guardian's pool freeze or borrow pause stops new credit, renewals
    /// included, but not maturity: it is not an outage of the price. The borrower repays under both (repayment is
    /// never closed); a loan neither renewed nor repaid is late at due date plus grace. A freeze of the valuation
    /// itself is an outage and extends the due date (above).
    function test_poolFreeze_closesRenewalButNotMaturity() public {
        vm.warp(t0 + 20 days);
        vm.prank(guardian);
        pool.setCollectionFrozen(address(apes), true);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.CollectionFrozen.selector, address(apes)));
        pool.renew(loanId, loan);
        vm.warp(t0 + TERM + GRACE);
        _expectNotLiquidatable(t0 + TERM + GRACE);
        // Repayment stays open under the freeze up to the last second.
        uint256 state = vm.snapshotState();
        _repayAll(borrower, loanId, loan);
        assertEq(apes.ownerOf(1), borrower);
        vm.revertToState(state);
        vm.warp(t0 + TERM + GRACE + 1);
        vm.prank(keeper);
        auction.start(loanId, loan);
    }
}
