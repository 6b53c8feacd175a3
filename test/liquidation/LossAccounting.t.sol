// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
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

/// @notice Issue 14, the remaining points: unsold NFTs keep their value (relisting), a liquidator change strands no
/// auction, the borrow index saturates, and the ERC-4626 limits are honoured.
contract LossAccountingMoreTest is BaseTest {
    function setUp() public override {
        super.setUp();
        _setUpAuctionPool(address(weth));
    }

    /// @dev A crash with fewer buyers than auctions: four loans go to auction at once and one buyer takes one NFT per
    /// round, whenever the price is at or below what it thinks the NFT is worth (3). Before issue 14 the three NFTs
    /// left after the first round went to custody with their whole debt written off; now they are relisted until
    /// they sell, and the bad debt is exactly debt minus what each NFT finally sold for.
    function test_crash_fewerBuyersThanAuctions_badDebtIsDebtMinusSales() public {
        uint256 n = 4;
        uint256[] memory ids = new uint256[](n);
        ILendingPoolTypes.Loan[] memory loans = new ILendingPoolTypes.Loan[](n);
        IDutchAuction.Auction[] memory auctions = new IDutchAuction.Auction[](n);
        for (uint256 i = 0; i < n; i++) {
            (ids[i], loans[i]) = _borrowApe(borrower, i + 1, PRINCIPAL);
        }
        skip(1 days);
        valuation.setPrice(address(apes), 3 ether); // -70 %
        uint256 assetsBefore = pool.totalAssets();
        uint256 debts;
        for (uint256 i = 0; i < n; i++) {
            (auctions[i], loans[i]) = auction.start(ids[i], loans[i]);
            debts += loans[i].frozenDebt;
        }
        _fundBuyer(buyer, 100 ether);
        uint256 sales;
        bool[] memory sold = new bool[](n);
        for (uint256 round = 0; round <= auction.MAX_RELISTS(); round++) {
            skip(auctions[0].duration);
            bool boughtThisRound;
            for (uint256 i = 0; i < n; i++) {
                if (sold[i]) continue;
                uint256 price = auction.currentPrice(ids[i], loans[i], auctions[i]);
                if (!boughtThisRound && price <= 3 ether) {
                    vm.prank(buyer);
                    sales += auction.buy(ids[i], loans[i], auctions[i], price);
                    sold[i] = true;
                    boughtThisRound = true;
                } else {
                    (, auctions[i], loans[i]) = auction.settle(ids[i], loans[i], auctions[i]);
                }
            }
        }
        for (uint256 i = 0; i < n; i++) {
            assertTrue(sold[i], "every NFT found its buyer");
            assertEq(apes.ownerOf(i + 1), buyer);
        }
        (uint256 bad,) = pool.badDebt();
        assertEq(bad, debts - sales, "bad debt = debt minus what the NFTs sold for");
        skip(7 days); // every recovery unlocked
        assertEq(pool.auctionDebt(), 0);
        assertEq(pool.impairment(), 0);
        // Lenders lost at most that plus the settlers' rewards (0.1 % of a debt per settlement), the reserve first.
        uint256 rewards = n * 4 * ((loans[0].frozenDebt * 10 + 9999) / 10_000);
        assertGe(pool.totalAssets() + (debts - sales) + rewards, assetsBefore, "lenders lost more than the shortfall");
    }

    /// @dev Changing the liquidator while an auction runs: the old module still sells and settles the auctions it
    /// started before the change; it can start no new one, and the new module cannot touch the old one's auctions.
    function test_liquidatorChange_doesNotStrandRunningAuction() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        (uint256 loanId2, ILendingPoolTypes.Loan memory loan2) = _borrowApe(borrower, 2, PRINCIPAL);
        (uint256 loanId3, ILendingPoolTypes.Loan memory loan3) = _borrowApe(borrower, 3, PRINCIPAL);
        valuation.setPrice(address(apes), 6 ether);
        IDutchAuction.Auction memory a;
        IDutchAuction.Auction memory a2;
        (a, loan) = auction.start(loanId, loan);
        (a2, loan2) = auction.start(loanId2, loan2);
        DutchAuction old = auction;
        skip(1 hours);
        DutchAuction fresh = _deployAuction(pool); // the timelock installs it
        assertEq(pool.liquidator(), address(fresh));

        // The old module sells its first auction...
        _fundBuyer(buyer, 9 ether);
        vm.prank(buyer);
        IERC20Approve(address(weth)).approve(address(old), type(uint256).max);
        vm.prank(buyer);
        old.buy(loanId, loan, a, 9 ether);
        assertEq(apes.ownerOf(1), buyer);
        // ... and relists and closes its second one without a bid.
        skip(36 hours);
        (, IDutchAuction.Auction memory next, ILendingPoolTypes.Loan memory updated) = old.settle(loanId2, loan2, a2);
        assertEq(next.round, 1);
        assertEq(pool.loanHash(loanId2), keccak256(abi.encode(updated)));

        // The old module cannot start a new auction.
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.NotLiquidator.selector, address(old)));
        old.start(loanId3, loan3);
        // A former module has no right over auctions started after it was replaced (here: by the pool directly).
        (, ILendingPoolTypes.Loan memory started3) = fresh.start(loanId3, loan3);
        vm.prank(address(old));
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.NotLiquidator.selector, address(old)));
        pool.settleUnsold(loanId3, started3, address(old), true);
    }

    /// @dev The highest rates the bounds allow, full utilisation, 100 years: the index saturates at 2^104 - 1 instead
    /// of overflowing, and the borrower can still repay (and get the NFT back). Before, every entry point reverted.
    function test_borrowIndex_saturatesAfterCenturyAtMaxRates_repaymentWorks() public {
        ILendingPoolTypes.RateConfig memory rc = pool.rateConfig();
        rc.baseRate = uint48(uint256(0.1e18) / 365 days);
        rc.slope1 = uint48(uint256(0.5e18) / 365 days);
        rc.slope2 = uint48(uint256(5e18) / 365 days);
        rc.kinkBps = 5000;
        vm.prank(timelock);
        pool.setRateConfig(rc);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        for (uint256 y = 0; y < 100; y++) {
            skip(365 days);
            vm.prank(timelock);
            pool.setRateConfig(rc); // accrues, as every entry point does
        }
        assertEq(pool.borrowIndex(), type(uint104).max, "saturated");
        uint256 debt = pool.debtOf(loan);
        weth.mint(borrower, debt);
        vm.startPrank(borrower);
        weth.approve(address(pool), debt);
        (uint256 paid,) = pool.repay(loanId, loan, debt);
        vm.stopPrank();
        assertEq(paid, debt);
        assertEq(apes.ownerOf(1), borrower);
    }

    /// @dev deposit(maxDeposit) and redeem(maxRedeem) succeed (or the limit is 0) after deposits, a loan, an auction
    /// and a sale whose recovery is still locked. Before, maxDeposit promised type(uint112).max on top of the cash.
    function test_erc4626Limits_areHonoured() public {
        _checkLimits(lender);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        _checkLimits(lender);
        _fundBuyer(buyer, 9 ether);
        vm.prank(buyer);
        auction.buy(loanId, loan, a, 9 ether);
        _checkLimits(lender);
        skip(3 hours);
        _checkLimits(lender2);
    }

    function _checkLimits(address who) internal {
        uint256 snap = vm.snapshotState();
        uint256 maxIn = pool.maxDeposit(who);
        if (maxIn != 0) {
            weth.mint(who, maxIn);
            vm.startPrank(who);
            weth.approve(address(pool), maxIn);
            pool.deposit(maxIn, who);
            vm.stopPrank();
        }
        vm.revertToState(snap);
        uint256 maxOut = pool.maxRedeem(who);
        if (maxOut != 0) {
            vm.prank(who);
            pool.redeem(maxOut, who, who);
        }
        vm.revertToState(snap);
        // A holder of a single share: worth no asset, so the limit is 0, not a promise redeem refuses.
        if (pool.balanceOf(who) > 0) {
            vm.prank(who);
            pool.transfer(stranger, 1);
            if (pool.convertToAssets(1) == 0) assertEq(pool.maxRedeem(stranger), 0, "a share worth nothing");
            vm.revertToState(snap);
        }
    }
}

interface IERC20Approve {
    function approve(address spender, uint256 amount) external returns (bool);
}
