// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice A lender that wraps any call in a deposit and a full redemption, inside one transaction: the flash
/// deposit an attacker runs around a purchase or a repayment it expects to lift the share price.
contract RoundTripper {
    ILendingPool internal immutable POOL;
    MockERC20 internal immutable ASSET;

    constructor(ILendingPool pool_) {
        POOL = pool_;
        ASSET = MockERC20(pool_.asset());
    }

    /// @notice Deposits `stake`, makes the call, redeems every share; returns what the lending leg gained or lost.
    function run(uint256 stake, address target, bytes calldata data) external returns (int256 gain) {
        ASSET.approve(address(POOL), type(uint256).max);
        ASSET.approve(target, type(uint256).max);
        uint256 shares = POOL.deposit(stake, address(this));
        (bool ok, bytes memory ret) = target.call(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        uint256 out = POOL.redeem(shares, address(this), address(this));
        gain = int256(out) - int256(stake);
    }

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }
}

/// @notice Issue 14, as an attacker and as two lenders run it against the real pool and auction module: no same-block
/// round trip profits from a recovery, no lender exits ahead of an auction's determined outcome, and a depositor who
/// enters while an ended auction waits for settlement does not pay for it.
contract LossAccountingTest is BaseTest {
    /// @dev What a same-block deposit-and-redeem may gain from rounding alone (virtual shares: under one wei per
    /// operation).
    uint256 internal constant DUST = 2;

    function setUp() public override {
        super.setUp();
        _setUpAuctionPool(address(weth));
    }

    /// @dev The attack: 10x the pool's assets deposited right before a purchase at the start price and redeemed right
    /// after, in one transaction. Before the fix the purchase lifted the share price by the loan's impairment plus
    /// the reserve's share of the penalty, and the attacker took ~91 % of it.
    function test_attack_flashDepositAroundPurchase() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        RoundTripper attacker = new RoundTripper(pool);
        uint256 stake = 10 * pool.totalAssets();
        weth.mint(address(attacker), stake + a.startPrice);
        uint256 priceBefore = _sharePrice();

        int256 gain =
            attacker.run(stake, address(auction), abi.encodeCall(auction.buy, (loanId, loan, a, a.startPrice)));

        assertLe(gain, int256(DUST), "round trip around a purchase profits");
        assertEq(apes.ownerOf(1), address(attacker));
        // The recovery is not lost: it reaches the lenders who stayed, only over time.
        skip(2 days);
        assertGt(_sharePrice(), priceBefore, "recovery never reached the lenders");
    }

    /// @dev The same around a borrower repaying its loan in auction (debt plus the whole penalty): before the fix the
    /// borrower's own round trip got back several times the penalty it paid.
    function test_attack_flashDepositAroundRepaymentInAuction() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan,) = _unhealthyAuction(1);
        RoundTripper attacker = new RoundTripper(pool);
        uint256 stake = 10 * pool.totalAssets();
        uint256 owed = loan.frozenDebt + (loan.frozenDebt * 500 + 9999) / 10_000;
        weth.mint(address(attacker), stake + owed);

        int256 gain = attacker.run(stake, address(pool), abi.encodeCall(pool.repay, (loanId, loan, owed)));

        assertLe(gain, int256(DUST), "round trip around a repayment in auction profits");
        assertEq(pool.loanHash(loanId), 0);
    }

    /// @dev Lender A exits right after the auction starts; lender B stays until the auction ends without a bid and is
    /// settled. A must not get more per share than B ends with.
    function test_attack_exitAfterStartGetsNoMoreThanStaying() public {
        // Two equal lenders (the fixture's lender plays B).
        uint256 sharesA = _deposit(lender2, 100 ether);
        uint256 sharesB = pool.balanceOf(lender);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);

        vm.prank(lender2);
        uint256 outA = pool.redeem(sharesA, lender2, lender2);

        _settleUnsold(loanId, loan, a);
        uint256 valueB = pool.convertToAssets(sharesB);
        assertLe(outA * 1e18 / sharesA, valueB * 1e18 / sharesB, "A left ahead of the loss");
    }

    /// @dev A depositor who comes in while an ended auction waits for settlement (for weeks) loses nothing when it is
    /// finally settled: the no-bid outcome was already in the price it paid.
    function test_attack_depositWhileEndedAuctionUnsettled() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        skip(uint256(a.duration) + 30 days);
        uint256 shares = _deposit(stranger, 100 ether);
        uint256 before = pool.convertToAssets(shares);

        _settleUnsold(loanId, loan, a);
        assertGe(pool.convertToAssets(shares) + DUST, before, "new depositor paid for an old loss");
    }

    /// @dev Runs every round of the auction to its end without a bid and settles it, until the module closes it.
    function _settleUnsold(
        uint256 loanId,
        ILendingPoolTypes.Loan memory loan,
        IDutchAuction.Auction memory a
    ) internal {
        _settleUnsoldToClose(loanId, loan, a, keeper);
    }
}
