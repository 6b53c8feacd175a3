// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolCore} from "../../src/interfaces/ILendingPoolCore.sol";
import {ILendingPoolExtension} from "../../src/interfaces/ILendingPoolExtension.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {AuctionLib} from "../../src/liquidation/AuctionLib.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {MockBlocklistToken, MockERC20} from "../mocks/MockERC20.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {ReentrancyGuardTransient} from "solady/utils/ReentrancyGuardTransient.sol";

/// @notice A buyer whose ERC-1155 hook re-enters the module and the pool (SECURITY.md S1/S3).
contract ReentrantBuyer {
    DutchAuction internal immutable AUCTION;
    ILendingPool internal immutable POOL;
    uint256 internal loanId;
    ILendingPoolTypes.Loan internal loan;
    IDutchAuction.Auction internal auction;
    bytes4[] public reentryErrors;

    constructor(DutchAuction auction_, ILendingPool pool_) {
        AUCTION = auction_;
        POOL = pool_;
    }

    function buy(uint256 id, ILendingPoolTypes.Loan calldata l, IDutchAuction.Auction calldata a) external {
        loanId = id;
        loan = l;
        auction = a;
        MockERC20(AUCTION.asset()).approve(address(AUCTION), type(uint256).max);
        AUCTION.buy(id, l, a, type(uint256).max);
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external returns (bytes4) {
        _try(abi.encodeCall(DutchAuction.buy, (loanId, loan, auction, type(uint256).max)), address(AUCTION));
        _try(abi.encodeCall(DutchAuction.settle, (loanId, loan, auction)), address(AUCTION));
        _try(abi.encodeCall(DutchAuction.start, (loanId, loan)), address(AUCTION));
        _try(abi.encodeCall(ILendingPoolCore.repay, (loanId, loan, type(uint256).max)), address(POOL));
        _try(abi.encodeCall(ILendingPoolExtension.claim, (address(this))), address(POOL));
        return this.onERC1155Received.selector;
    }

    function reentryErrorCount() external view returns (uint256) {
        return reentryErrors.length;
    }

    function _try(bytes memory data, address target) internal {
        (bool ok, bytes memory ret) = target.call(data);
        if (ok) revert("reentry succeeded");
        reentryErrors.push(bytes4(ret));
    }
}

/// @notice A borrower contract that, once armed, rejects everything sent to it: ETH, ERC-1155 units, calls.
contract RejectingBorrower {
    bool internal armed;

    function arm() external {
        armed = true;
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external view returns (bytes4) {
        if (armed) revert("rejecting");
        return this.onERC1155Received.selector;
    }

    function borrow(
        ILendingPool pool,
        address collection,
        uint256 id,
        uint256 amount,
        uint256 principal
    ) external returns (uint256 loanId, ILendingPoolTypes.Loan memory loan) {
        (bool ok,) = collection.call(abi.encodeWithSignature("setApprovalForAll(address,bool)", address(pool), true));
        require(ok);
        return pool.borrow(collection, id, amount, principal, address(this), 0, new bytes32[](0));
    }

    fallback() external payable {
        revert("rejecting");
    }
}

/// @notice The module against the real LendingPool: every transition, the waterfall, and SECURITY.md H and I attacks.
contract AuctionIntegrationTest is BaseTest {
    /// @dev A USDC-style blocklist on an 18-decimal asset, for the blocklisted-recipient attacks.
    MockBlocklistToken internal token;

    function setUp() public override {
        super.setUp();
        token = new MockBlocklistToken("Blocklist Ether", "bETH", 18);
        _setUpAuctionPool(address(token));
    }

    /*//////////////////////////////////////////////////////////////
                                 START
    //////////////////////////////////////////////////////////////*/

    function test_start_unhealthyLoanFreezesDebtAndBooksImpairment() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        assertEq(a.startPrice, 9 ether);
        assertEq(a.reservePrice, 4.2 ether);
        assertEq(a.duration, 36 hours);
        assertEq(a.keeper, keeper);
        assertEq(a.valuation, address(valuation));
        assertEq(a.start, block.timestamp);
        assertEq(loan.auctionStart, block.timestamp);
        assertGt(loan.frozenDebt, PRINCIPAL); // a day of interest
        assertEq(pool.loanHash(loanId), keccak256(abi.encode(loan)));
        assertEq(pool.auctionDebt(), loan.frozenDebt);
        // Issue 14: the outcome without a bid is booked at the start (the whole debt and four settlement rewards).
        assertEq(pool.impairment(), loan.frozenDebt + 4 * ((loan.frozenDebt * 10 + 9999) / 10_000));
        assertEq(loan.impairment, pool.impairment());
        assertTrue(auction.isLive(loanId));
        assertEq(auction.currentPrice(loanId, loan, a), 9 ether);
    }

    function test_start_revertsForHealthyLoan() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        skip(1 days);
        uint256 hf = pool.healthFactor(loan);
        bytes32 loanHashBefore = pool.loanHash(loanId);
        uint256 debtBefore = pool.auctionDebt();

        vm.expectRevert(
            abi.encodeWithSelector(
                ILendingPoolTypes.LoanNotLiquidatable.selector, loanId, hf, uint256(loan.dueTime) + 2 days
            )
        );
        vm.prank(keeper);
        auction.start(loanId, loan);

        assertEq(pool.loanHash(loanId), loanHashBefore);
        assertEq(pool.auctionDebt(), debtBefore);
        assertEq(auction.auctionHash(loanId), 0);
        assertEq(apes.ownerOf(1), address(pool));
    }

    function test_start_withinGraceRepaymentWins() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        vm.warp(uint256(loan.dueTime) + 2 days); // last second of grace
        vm.expectRevert(
            abi.encodeWithSelector(
                ILendingPoolTypes.LoanNotLiquidatable.selector,
                loanId,
                pool.healthFactor(loan),
                uint256(loan.dueTime) + 2 days
            )
        );
        auction.start(loanId, loan);
        assertEq(auction.auctionHash(loanId), 0);

        skip(1);
        (IDutchAuction.Auction memory a,) = auction.start(loanId, loan);
        assertEq(a.keeper, address(this));
        assertTrue(auction.isLive(loanId));
    }

    function test_start_revertsDuringOutage() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        valuation.setPrice(address(apes), 6 ether);
        valuation.beginOutage(address(apes));
        bytes32 loanHashBefore = pool.loanHash(loanId);

        vm.expectRevert(
            abi.encodeWithSelector(
                IValuation.ValuationUnavailable.selector, address(apes), IValuation.Status.FloorStale
            )
        );
        auction.start(loanId, loan);
        assertEq(pool.loanHash(loanId), loanHashBefore);
        assertEq(auction.auctionHash(loanId), 0);
    }

    function test_startAuction_revertsWhenCalledDirectly() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        valuation.setPrice(address(apes), 6 ether);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.NotLiquidator.selector, stranger));
        vm.prank(stranger);
        pool.startAuction(loanId, loan, stranger);
    }

    /*//////////////////////////////////////////////////////////////
                               BUY / SETTLE
    //////////////////////////////////////////////////////////////*/

    function test_buy_surplusIsBorrowersClaimAndKeeperPaid() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        uint256 debt = loan.frozenDebt;
        uint256 cashBefore = pool.cash();
        uint256 reserveBefore = pool.reserve();
        _fundBuyer(buyer, 9 ether);

        vm.prank(buyer);
        uint256 paid = auction.buy(loanId, loan, a, 9 ether);

        uint256 penalty = (debt * 500 + 9999) / 10_000;
        uint256 keeperCut = penalty / 2;
        assertEq(paid, 9 ether);
        assertEq(apes.ownerOf(1), buyer);
        assertEq(pool.claimable(borrower), 9 ether - debt - penalty);
        assertEq(pool.claimable(keeper), keeperCut);
        assertEq(pool.cash(), cashBefore + debt + penalty - keeperCut);
        assertEq(pool.reserve(), reserveBefore + penalty - keeperCut);
        assertEq(pool.auctionDebt(), 0);
        assertEq(pool.impairment(), 0);
        (uint256 totalBad,) = pool.badDebt();
        assertEq(totalBad, 0);
        assertEq(pool.loanHash(loanId), 0);
        assertFalse(auction.isLive(loanId));

        vm.prank(borrower);
        assertEq(pool.claim(borrower), 9 ether - debt - penalty);
        vm.prank(keeper);
        assertEq(pool.claim(keeper), keeperCut);
    }

    function test_buy_belowDebtWritesOffShortfallSameTransaction() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        skip(1 days);
        valuation.setPrice(address(apes), 3 ether); // reserve 2.1 ether, far below the debt
        vm.prank(keeper);
        IDutchAuction.Auction memory a;
        (a, loan) = auction.start(loanId, loan);
        skip(40 hours);
        uint256 assetsBefore = pool.totalAssets();
        _fundBuyer(buyer, 2.1 ether);

        vm.prank(buyer);
        auction.buy(loanId, loan, a, 2.1 ether);

        (uint256 totalBad,) = pool.badDebt();
        assertEq(totalBad, loan.frozenDebt - 2.1 ether);
        assertEq(pool.claimable(borrower), 0);
        assertEq(pool.claimable(keeper), 0);
        assertEq(apes.ownerOf(1), buyer);
        // The loss was already impaired at the start: settling at the reserve does not move lenders' assets.
        assertApproxEqAbs(pool.totalAssets(), assetsBefore, 1);
    }

    /// @dev Issue 14: nobody bids through every round. The whole frozen debt (plus the settlement rewards) was booked
    /// at the start, so neither the relists nor the final write-off move lenders' assets; each settler is paid.
    function test_settle_noBidRelistsThenWritesOffAndSendsNftToCustody() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        uint256 reward = (loan.frozenDebt * 10 + 9999) / 10_000;
        assertEq(loan.impairment, loan.frozenDebt + 4 * reward);
        uint256 assetsAtStart = pool.totalAssets();
        skip(36 hours);

        vm.prank(stranger);
        (uint256 badDebt, IDutchAuction.Auction memory next, ILendingPoolTypes.Loan memory updated) =
            auction.settle(loanId, loan, a);
        assertEq(badDebt, 0);
        assertEq(next.startPrice, 4.2 ether);
        assertEq(next.reservePrice, 2.1 ether);
        assertEq(updated.impairment, loan.impairment - reward);
        assertEq(pool.claimable(stranger), reward, "the settler is paid");
        assertEq(apes.ownerOf(1), address(pool));
        assertEq(pool.totalAssets(), assetsAtStart, "a relist moves nothing: the reward was booked");

        (badDebt,) = _settleUnsoldToClose(loanId, updated, next, stranger);
        assertEq(badDebt, loan.frozenDebt);
        (uint256 totalBad,) = pool.badDebt();
        assertEq(totalBad, loan.frozenDebt);
        assertEq(apes.ownerOf(1), custody);
        assertEq(pool.claimable(stranger), 4 * reward, "one reward per settlement");
        assertEq(pool.auctionDebt(), 0);
        assertEq(pool.impairment(), 0);
        assertEq(pool.totalAssets(), assetsAtStart, "the write-off was already in the price");
        assertFalse(auction.isLive(loanId));
    }

    function test_repay_duringAuctionCancelsIt() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        skip(5 hours);
        uint256 owed = loan.frozenDebt + (loan.frozenDebt * 500 + 9999) / 10_000;
        token.mint(stranger, owed);
        vm.startPrank(stranger); // on the borrower's behalf
        token.approve(address(pool), owed);
        pool.repay(loanId, loan, owed);
        vm.stopPrank();

        assertEq(apes.ownerOf(1), borrower);
        assertFalse(auction.isLive(loanId));
        assertEq(pool.auctionDebt(), 0);
        assertEq(pool.impairment(), 0);

        _fundBuyer(buyer, 9 ether);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));
        vm.prank(buyer);
        auction.buy(loanId, loan, a, type(uint256).max);
        skip(36 hours);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));
        auction.settle(loanId, loan, a);
        assertEq(token.balanceOf(buyer), 9 ether);
        assertEq(apes.ownerOf(1), borrower);
    }

    function test_outage_extendsRealAuction() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        skip(12 hours);
        valuation.beginOutage(address(apes));
        skip(6 hours);
        valuation.endOutage(address(apes));
        assertEq(auction.currentPrice(loanId, loan, a), AuctionLib.price(9 ether, 4.2 ether, 36 hours, 12 hours));
        skip(24 hours - 1);
        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.AuctionNotEnded.selector, loanId, 36 hours - 1, 36 hours));
        auction.settle(loanId, loan, a);
        skip(1);
        _settleUnsoldToClose(loanId, loan, a, address(this));
        assertEq(apes.ownerOf(1), custody);
    }

    /*//////////////////////////////////////////////////////////////
                        ATTACKS (SECURITY.md H, I)
    //////////////////////////////////////////////////////////////*/

    /// @dev S1/S3: the buyer's ERC-1155 hook re-enters buy, settle, start, repay and claim; every one is refused by a
    /// reentrancy lock, the purchase completes exactly once.
    function test_attack_reentrantBuyerIsLockedOut() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowItems(borrower, 7, 3, PRINCIPAL);
        skip(1 days);
        valuation.setPrice(address(items), 2 ether); // limit 4.2 < 5
        IDutchAuction.Auction memory a;
        (a, loan) = auction.start(loanId, loan);
        ReentrantBuyer attacker = new ReentrantBuyer(auction, ILendingPool(address(pool)));
        token.mint(address(attacker), a.startPrice);

        attacker.buy(loanId, loan, a);

        assertEq(attacker.reentryErrorCount(), 5);
        for (uint256 i; i < 5; ++i) {
            assertEq(attacker.reentryErrors(i), ReentrancyGuardTransient.Reentrancy.selector);
        }
        assertEq(items.balanceOf(address(attacker), 7), 3);
        assertEq(token.balanceOf(address(attacker)), 0);
        assertEq(pool.loanHash(loanId), 0);
        assertEq(auction.auctionHash(loanId), 0);
    }

    /// @dev S11/INV-B5: a borrower that rejects every transfer cannot block the sale: its surplus waits as a claim.
    function test_attack_rejectingBorrowerCannotBlockSale() public {
        RejectingBorrower evil = new RejectingBorrower();
        items.mint(address(evil), 9, 3);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) =
            evil.borrow(ILendingPool(address(pool)), address(items), 9, 3, PRINCIPAL);
        evil.arm();
        skip(1 days);
        valuation.setPrice(address(items), 2 ether);
        IDutchAuction.Auction memory a;
        (a, loan) = auction.start(loanId, loan);
        _fundBuyer(buyer, a.startPrice);

        vm.prank(buyer);
        auction.buy(loanId, loan, a, a.startPrice);

        assertEq(items.balanceOf(buyer, 9), 3);
        assertGt(pool.claimable(address(evil)), 0);
    }

    /// @dev A USDC-style blocklisted borrower and keeper cannot freeze the settlement: nothing is pushed to them.
    function test_attack_blocklistedBorrowerAndKeeperCannotBlockSale() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        token.setBlocked(borrower, true);
        token.setBlocked(keeper, true);
        _fundBuyer(buyer, 9 ether);

        vm.prank(buyer);
        auction.buy(loanId, loan, a, 9 ether);

        assertEq(apes.ownerOf(1), buyer);
        assertGt(pool.claimable(borrower), 0);
        assertGt(pool.claimable(keeper), 0);
        // Once unblocked, the borrower collects; meanwhile the claim is safe in the pool.
        token.setBlocked(borrower, false);
        uint256 surplus = pool.claimable(borrower);
        vm.prank(borrower);
        pool.claim(borrower);
        assertEq(token.balanceOf(borrower), PRINCIPAL + surplus);
    }

    /// @dev INV-L7: a healthy loan can be auctioned by nobody, at no price movement, before maturity plus grace.
    /// The price is the lowest at which the loan is still healthy (health factor in [1, 1 + 1e-18 x debt / limit
    /// step]) plus up to 2 ether, so the boundary itself is fuzzed: the old bound (price >= 8 ether) never came near.
    function testFuzz_attack_healthyLoanCannotBeAuctioned(uint256 wait, uint256 priceAbove) public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        wait = bound(wait, 0, 32 days);
        skip(wait);
        // limit = floor(floor(price x haircut / 1e4) x threshold / 1e4) >= debt, solved for the smallest price.
        ILendingPoolTypes.Terms memory t = pool.terms(address(apes), loan.termsId);
        uint256 debt = pool.debtOf(loan);
        uint256 haircutValue = (debt * 10_000 + t.liqThresholdBps - 1) / t.liqThresholdBps;
        uint256 lowest = (haircutValue * 10_000 + t.haircutBps - 1) / t.haircutBps;
        valuation.setPrice(address(apes), lowest - 1);
        assertLt(pool.healthFactor(loan), 1e18, "one wei below the lowest healthy price is unhealthy");
        valuation.setPrice(address(apes), lowest + bound(priceAbove, 0, 2 ether));
        assertGe(pool.healthFactor(loan), 1e18, "healthy from the lowest healthy price up");

        vm.expectRevert(
            abi.encodeWithSelector(
                ILendingPoolTypes.LoanNotLiquidatable.selector,
                loanId,
                pool.healthFactor(loan),
                uint256(loan.dueTime) + 2 days
            )
        );
        vm.prank(stranger);
        auction.start(loanId, loan);
        assertEq(auction.auctionHash(loanId), 0);
        assertEq(apes.ownerOf(1), address(pool));
    }

    /// @dev S8: settle twice, and settle by a non-winner after a sale, both revert and move nothing.
    function test_attack_settleTwiceAndByNonWinner() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        (uint256 loanId2, ILendingPoolTypes.Loan memory loan2) = _borrowApe(borrower, 2, PRINCIPAL);
        valuation.setPrice(address(apes), 6 ether);
        IDutchAuction.Auction memory a;
        IDutchAuction.Auction memory a2;
        (a, loan) = auction.start(loanId, loan);
        (a2, loan2) = auction.start(loanId2, loan2);
        skip(36 hours);

        // Sale of the first, then a stranger tries to settle it.
        _fundBuyer(buyer, 4.2 ether);
        vm.prank(buyer);
        auction.buy(loanId, loan, a, 4.2 ether);
        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.AuctionNotLive.selector, loanId));
        vm.prank(stranger);
        auction.settle(loanId, loan, a);
        assertEq(apes.ownerOf(1), buyer);

        // No-bid settle of the second (through every relist), then again.
        (, a2) = _settleUnsoldToClose(loanId2, loan2, a2, stranger);
        (uint256 badBefore,) = pool.badDebt();
        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.AuctionNotLive.selector, loanId2));
        vm.prank(stranger);
        auction.settle(loanId2, loan2, a2);
        (uint256 badAfter,) = pool.badDebt();
        assertEq(badAfter, badBefore, "written off once");
        assertEq(apes.ownerOf(2), custody);
    }

    /// @dev A forged auction (lower prices, attacker as keeper) is refused; the committed one still works.
    function test_attack_forgedAuctionRefused() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        IDutchAuction.Auction memory forged = a;
        forged.startPrice = 1;
        forged.reservePrice = 1;
        _fundBuyer(buyer, 9 ether);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDutchAuction.AuctionMismatch.selector,
                loanId,
                auction.auctionHash(loanId),
                keccak256(abi.encode(forged))
            )
        );
        vm.prank(buyer);
        auction.buy(loanId, loan, forged, type(uint256).max);
        assertEq(token.balanceOf(buyer), 9 ether);
        assertEq(apes.ownerOf(1), address(pool));
    }

    /// @dev Bought at any moment, the pool's books close exactly: proceeds = repaid + penalty + surplus, shortfall =
    /// unpaid debt, no impairment or auction debt left.
    function testFuzz_buy_realPoolWaterfall(uint256 wait, uint256 newPrice) public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        skip(1 days);
        newPrice = bound(newPrice, 0.5 ether, 7 ether);
        valuation.setPrice(address(apes), newPrice);
        vm.assume(pool.healthFactor(loan) < 1e18);
        IDutchAuction.Auction memory a;
        vm.prank(keeper);
        (a, loan) = auction.start(loanId, loan);
        skip(bound(wait, 0, 50 hours));
        uint256 price = auction.currentPrice(loanId, loan, a);
        uint256 cashBefore = pool.cash();
        _fundBuyer(buyer, price);

        vm.prank(buyer);
        auction.buy(loanId, loan, a, price);

        uint256 debt = loan.frozenDebt;
        uint256 repaid = price < debt ? price : debt;
        (uint256 totalBad,) = pool.badDebt();
        assertEq(totalBad, debt - repaid);
        assertEq(
            pool.cash() - cashBefore + pool.claimable(keeper) + pool.claimable(borrower), price, "proceeds conserved"
        );
        // What the receipt check relies on: the balance is exactly the idle cash plus what is owed to claimants.
        assertEq(token.balanceOf(address(pool)), pool.cash() + pool.claimable(keeper) + pool.claimable(borrower));
        assertEq(pool.auctionDebt(), 0);
        assertEq(pool.impairment(), 0);
        assertEq(apes.ownerOf(1), buyer);
    }
}
