// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Review 2 of issue 15, finding 3: a renewal is new credit, so it comes back under the limits in force at
/// the renewal, not those of the loan's origination: the unit cap, the per-borrower cap and the ceiling. On the code
/// before this change the review's 1,000-unit stack, opened before the caps, renewed under all three (each test
/// below renewed there).
contract RenewLimitsTest is BaseTest {
    uint256 internal loanId;
    ILendingPoolTypes.Loan internal loan;

    function setUp() public override {
        super.setUp();
        _setUpAuctionPool(address(weth));
        (loanId, loan) = _borrowItems(borrower, 7, 1000, 50 ether);
        skip(29 days);
        weth.mint(borrower, 10 ether);
        vm.prank(borrower);
        weth.approve(address(pool), type(uint256).max);
    }

    function test_RevertWhen_renew_aboveNewUnitCap() public {
        vm.prank(timelock);
        pool.setBorrowerCap(address(items), 0, 50);
        vm.prank(borrower);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ExceedsUnitCap.selector, 1000, 50));
        pool.renew(loanId, loan);
    }

    function test_RevertWhen_renew_aboveNewBorrowerCap() public {
        vm.prank(timelock);
        pool.setBorrowerCap(address(items), 30 ether, 0);
        vm.prank(borrower);
        vm.expectRevert(
            abi.encodeWithSelector(ILendingPoolTypes.ExceedsBorrowerCap.selector, borrower, 50 ether, 30 ether)
        );
        pool.renew(loanId, loan);
    }

    /// @notice Decision (review 3, finding 2): the ceiling does not refuse a renewal. A renewal pays the interest, so
    /// it lowers the collection's exposure; the ceiling counts every borrower's accrued interest, so checking it let
    /// others' interest refuse a renewal in a full collection. A lowered ceiling refuses new borrows instead.
    function test_renew_underALoweredCeiling_lowersTheExposure() public {
        vm.prank(guardian);
        pool.setDebtCeiling(address(items), 1 ether);
        (,, uint256 before,) = pool.collectionState(address(items));
        vm.prank(borrower);
        pool.renew(loanId, loan);
        (,, uint256 debt,) = pool.collectionState(address(items));
        assertLt(debt, before, "the renewal lowered the exposure");
        assertEq(debt, 50 ether + 1, "back to the principal, rounded up in the pool's favour");
        // A new borrow is refused by the lowered ceiling.
        items.mint(borrower, 8, 1);
        vm.prank(borrower);
        vm.expectRevert();
        pool.borrow(address(items), 8, 1, 0.1 ether, borrower, 0, new bytes32[](0));
    }

    /// @notice Review 3, finding 2: in a collection filled to its ceiling, another borrower's accrued interest must
    /// not refuse a renewal (a griefer could force late liquidations for the price of interest).
    function test_renew_atFullCeiling_notRefusedByOthersInterest() public {
        (,, uint256 debt,) = pool.collectionState(address(items));
        vm.prank(timelock);
        pool.setDebtCeiling(address(items), debt);
        skip(12 hours); // both the victim's and the others' interest grow the exposure above the ceiling
        (,, uint256 later,) = pool.collectionState(address(items));
        assertGt(later, debt);
        vm.prank(borrower);
        pool.renew(loanId, loan);
    }

    /// @notice Within the limits a renewal leaves the borrower's principal and the collection's exposure as they were
    /// (the loan leaves and comes back), and its due date moves a full term.
    function test_renew_withinLimits_keepsCounters() public {
        vm.prank(timelock);
        pool.setBorrowerCap(address(items), 50 ether, 1000);
        uint256 principalBefore = pool.borrowerPrincipal(address(items), borrower);
        vm.prank(borrower);
        (, ILendingPoolTypes.Loan memory renewed) = pool.renew(loanId, loan);
        assertEq(pool.borrowerPrincipal(address(items), borrower), principalBefore);
        assertEq(principalBefore, 50 ether);
        (,, uint256 debt,) = pool.collectionState(address(items));
        assertEq(debt, renewed.principal + 1, "the principal, rounded up in the pool's favour");
        assertEq(renewed.dueTime, block.timestamp + 30 days);
    }
}
