// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Review 3 (commit 6296e44: issue 15 items 7/8, review-2 fixes, pool module split). Each test asserts the
/// safe behaviour and fails on 6296e44; both pass since the premium counts at most its multiple at origination and a
/// renewal is no longer refused by the ceiling. The review's third finding (a due date moved by the outage replay's
/// look-back over-count) is a documented limit, mitigated by the keeper's checkpoints: docs/exposure.md, section 6, and
/// test/review/OutageLookBack.t.sol. The fixture's MockValuation caps a trait premium at 2x the unit price, as the
/// real pricer does with its default `maxPremiumMultipleWad` (docs/valuation.md: 2x).
contract Review3Test is BaseTest {
    address internal attacker = makeAddr("attacker");

    function setUp() public override {
        super.setUp();
        _deposit(lender, 100 ether);
    }

    /// @notice Severity: High. The absolute premium is counted up to 10x the *current* price, not the collection's
    /// premium multiple (2x here) x the current price, so after a fall of the price a loan borrowed at its trait cap
    /// is valued far above anything the valuation would allow today and cannot be liquidated while it is deeply
    /// underwater (the loss lands on lenders). It also breaks the documented bound of the pricer signer key
    /// ("a bad root can only inflate a premium up to maxPremiumMultipleWad x unitPrice"): after a crash a bad leaf
    /// counts up to 10x. Before 6296e44 the premium was a ratio fixed at borrow (<= the multiple), so it fell with
    /// the price. Sequence:
    ///   1. price 30; borrower proves a premium of 60 (= 2 x 30, the pricer's cap) and borrows the most allowed:
    ///      (30 + 60) x 0.65 x 0.5 = 29.25.
    ///   2. the collection falls 67 % to 10. The valuation's cap on any premium today is 2 x 10 = 20, so the token is
    ///      worth at most 30: limit 30 x 0.65 x 0.7 = 13.65 against a debt of ~29.25 (HF ~0.47).
    ///   3. the pool counts the premium as min(60, 10 x 10) = 60: value 70, limit 31.85 >= 29.25, HF ~1.09. No keeper
    ///      can start the auction (LoanNotLiquidatable) at any price from 21.4 down to 5.84 (a fall of 29 % to 80 %),
    ///      however far underwater by the valuation's own cap; it ends at the due date plus grace, or by interest.
    function test_premium_afterCrash_notCountedAboveTheCollectionMultiple() public {
        _mintApe(borrower, 9);
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = valuation.VALID_PROOF();
        vm.prank(borrower);
        (, ILendingPoolTypes.Loan memory l) = pool.borrow(address(apes), 9, 1, 29.25 ether, borrower, 60 ether, proof);
        assertEq(l.premium, 60 ether, "premium proven at the 2x cap");

        skip(12 minutes);
        valuation.setPrice(address(apes), 10 ether);
        uint256 debt = pool.debtOf(l);
        // The most the collateral is worth under the valuation's own premium cap today: (10 + 2 x 10) x 0.65 x 0.7.
        uint256 safeLimit = uint256(30 ether) * 6500 / 10_000 * 7000 / 10_000;
        assertLt(safeLimit * WAD / debt, WAD, "the loan is underwater under today's cap");
        assertLt(pool.healthFactor(l), WAD, "an underwater loan must be liquidatable");
    }

    /// @notice Severity: Medium (forced late liquidations; griefable by a large borrower). `renew` now re-enters the
    /// ceiling with everyone else's *accrued interest* counted, so in a collection filled to its ceiling no borrower
    /// can renew once interest has accrued, although a renewal pays the loan's interest and so *lowers* the
    /// collection's exposure; the guardian lowered nothing. The borrower must find the whole principal (a borrow back
    /// is refused too) or be liquidated for lateness with the penalty. Before 6296e44 the same renewal went through.
    /// Sequence (a large borrower or a liquidation hunter):
    ///   1. ceiling 19.5; the victim borrows 9.75 against one ape.
    ///   2. the attacker borrows the room left (just under 9.75) in the next block: the collection is at its ceiling.
    ///   3. 29 days later the victim renews, paying its interest: exposure after = attacker's 9.75 + its interest
    ///      + the victim's 9.75 > 19.5, so `ExceedsDebtCeiling`, although exposure before was higher still.
    ///   4. the due date passes; the loan is late at due + grace and the hunter's keeper starts its auction.
    function test_renew_atFullCeiling_notRefusedForOthersInterest() public {
        vm.prank(timelock);
        pool.setDebtCeiling(address(apes), 19.5 ether);
        (uint256 victimId, ILendingPoolTypes.Loan memory victim) = _borrowApe(borrower, 1, 9.75 ether);
        skip(12 seconds);
        (,, uint256 exposure,) = pool.collectionState(address(apes));
        // The room left, less 2 wei for the scaled debt's rounding up.
        _borrowApe(attacker, 2, 19.5 ether - exposure - 2);
        (,, exposure,) = pool.collectionState(address(apes));
        assertApproxEqAbs(exposure, 19.5 ether, 2, "the collection is at its ceiling");

        skip(29 days);
        weth.mint(borrower, 10 ether);
        vm.prank(borrower);
        weth.approve(address(pool), type(uint256).max);
        (,, uint256 exposureBefore,) = pool.collectionState(address(apes));
        vm.prank(borrower);
        pool.renew(victimId, victim);
        (,, uint256 exposureAfter,) = pool.collectionState(address(apes));
        assertLt(exposureAfter, exposureBefore, "the renewal lowered the collection's exposure");
    }
}
