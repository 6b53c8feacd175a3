// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Review of issue 14 (commit 134fb35): the settler's reward is capped by idle cash, so in a fully lent pool
/// (the high-utilisation crash in which settlement matters most) settling an ended auction pays nothing, although
/// the reward was booked as a loss at the start. The keeper's incentive to settle promptly is gone exactly then.
/// FAILS on 134fb35.
contract SettlerRewardDrainedPoolTest is BaseTest {
    function setUp() public override {
        super.setUp();
        _setUpAuctionPool(address(weth));
    }

    function test_settlerPaidWhenPoolFullyLent() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        // Another borrower takes every wei of idle cash.
        uint256 rest = pool.cash();
        _borrowItems(lender2, 7, 40, rest);
        assertEq(pool.cash(), 0, "pool not drained");

        skip(a.duration);
        address settler = makeAddr("settler");
        vm.prank(settler);
        auction.settle(loanId, loan, a);
        uint256 expected = (uint256(loan.frozenDebt) * 10 + 9999) / 10_000;
        emit log_named_decimal_uint("reward booked at start", expected, 18);
        emit log_named_decimal_uint("reward paid", pool.claimable(settler), 18);
        assertEq(pool.claimable(settler), expected, "settler of a drained pool is not paid");
    }
}
