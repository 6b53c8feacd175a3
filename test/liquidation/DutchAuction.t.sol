// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {IGoverned} from "../../src/interfaces/IGoverned.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {IValuation} from "../../src/interfaces/IValuation.sol";
import {AuctionLib} from "../../src/liquidation/AuctionLib.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {BaseTest} from "../utils/BaseTest.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {CallContextChecker} from "solady/utils/CallContextChecker.sol";
import {Initializable} from "solady/utils/Initializable.sol";

/// @notice Unit tests of the module over the mock mockPool: every entry point, every state transition, every bad input.
contract DutchAuctionTest is BaseTest {
    function setUp() public override {
        super.setUp();
        _setUpMockAuction();
    }

    /// @dev Everything a call could change, to assert that a reverting call changed nothing.
    struct State {
        bytes32 auctionHash;
        bytes32 loanHash;
        address nftOwner;
        uint256 buyerBalance;
        uint256 poolBalance;
        uint256 startCalls;
        uint256 settleCalls;
    }

    function _state(uint256 loanId, uint256 tokenId) internal view returns (State memory s) {
        s.auctionHash = auction.auctionHash(loanId);
        s.loanHash = mockPool.loanHash(loanId);
        s.nftOwner = apes.ownerOf(tokenId);
        s.buyerBalance = weth.balanceOf(buyer);
        s.poolBalance = weth.balanceOf(address(mockPool));
        s.startCalls = mockPool.startCalls();
        s.settleCalls = mockPool.settleCalls();
    }

    function _assertUnchanged(State memory before, uint256 loanId, uint256 tokenId) internal view {
        State memory afterwards = _state(loanId, tokenId);
        assertEq(afterwards.auctionHash, before.auctionHash, "auction hash");
        assertEq(afterwards.loanHash, before.loanHash, "loan hash");
        assertEq(afterwards.nftOwner, before.nftOwner, "apes owner");
        assertEq(afterwards.buyerBalance, before.buyerBalance, "buyer balance");
        assertEq(afterwards.poolBalance, before.poolBalance, "pool balance");
        assertEq(afterwards.startCalls, before.startCalls, "start calls");
        assertEq(afterwards.settleCalls, before.settleCalls, "settle calls");
    }

    /*//////////////////////////////////////////////////////////////
                            INITIALISATION
    //////////////////////////////////////////////////////////////*/

    function test_storageSlot_matchesErc7201Formula() public pure {
        bytes32 expected =
            keccak256(abi.encode(uint256(keccak256("nftlend.storage.DutchAuction")) - 1)) & ~bytes32(uint256(0xff));
        assertEq(expected, 0x04099d844ca9b33456f8694068f0169f91deae5ed902df6a91a3c3fe2e8f3300);
    }

    function test_storageSlot_holdsTheCommitments() public {
        (uint256 loanId,,) = _openAndStart(1);
        bytes32 base = 0x04099d844ca9b33456f8694068f0169f91deae5ed902df6a91a3c3fe2e8f3300;
        bytes32 slot = keccak256(abi.encode(loanId, base));
        assertEq(vm.load(address(auction), slot), auction.auctionHash(loanId));
        assertTrue(auction.auctionHash(loanId) != 0);
    }

    function test_initialize_setsRolesAndImmutables() public view {
        assertEq(auction.pool(), address(mockPool));
        assertEq(auction.asset(), address(weth));
        assertEq(auction.timelock(), timelock);
        assertEq(auction.guardian(), guardian);
    }

    function test_initialize_revertsTwice() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        auction.initialize(address(mockPool), stranger, stranger);
        assertEq(auction.timelock(), timelock);
    }

    function test_initialize_revertsOnImplementation() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        auctionImpl.initialize(address(mockPool), stranger, stranger);
        assertEq(auctionImpl.timelock(), address(0));
    }

    function test_initialize_revertsForWrongPool() public {
        DutchAuction impl = new DutchAuction(ILendingPool(address(mockPool)));
        bytes memory init = abi.encodeCall(DutchAuction.initialize, (stranger, timelock, guardian));
        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.WrongPool.selector, stranger, address(mockPool)));
        new ERC1967Proxy(address(impl), init);
    }

    function test_initialize_revertsForZeroTimelock() public {
        DutchAuction impl = new DutchAuction(ILendingPool(address(mockPool)));
        bytes memory init = abi.encodeCall(DutchAuction.initialize, (address(mockPool), address(0), guardian));
        vm.expectRevert(IGoverned.ZeroAddress.selector);
        new ERC1967Proxy(address(impl), init);
    }

    function test_upgradeToAndCall_onlyTimelock() public {
        DutchAuction next = new DutchAuction(ILendingPool(address(mockPool)));
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotTimelock.selector, stranger));
        vm.prank(stranger);
        auction.upgradeToAndCall(address(next), "");

        (uint256 loanId,,) = _openAndStart(1);
        bytes32 committed = auction.auctionHash(loanId);
        vm.prank(timelock);
        auction.upgradeToAndCall(address(next), "");
        assertEq(auction.auctionHash(loanId), committed, "state survives the upgrade");
    }

    function test_upgradeToAndCall_revertsOnImplementation() public {
        vm.expectRevert(CallContextChecker.UnauthorizedCallContext.selector);
        vm.prank(timelock);
        auctionImpl.upgradeToAndCall(address(auctionImpl), "");
    }

    /*//////////////////////////////////////////////////////////////
                                 START
    //////////////////////////////////////////////////////////////*/

    function test_start_commitsAuctionFromPoolTerms() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _openLoan(1);
        valuation.setClock(address(apes), 0, 777);

        IDutchAuction.Auction memory expected = IDutchAuction.Auction({
            keeper: keeper,
            valuation: address(valuation),
            startPrice: 15 ether,
            reservePrice: 7 ether,
            start: uint40(block.timestamp),
            duration: 36 hours,
            outageBase: 777,
            round: 0
        });
        vm.expectEmit(address(auction));
        emit IDutchAuction.AuctionStarted(loanId, keeper, expected);
        vm.prank(keeper);
        (IDutchAuction.Auction memory a, ILendingPoolTypes.Loan memory updated) = auction.start(loanId, loan);

        assertEq(keccak256(abi.encode(a)), keccak256(abi.encode(expected)));
        assertEq(auction.auctionHash(loanId), keccak256(abi.encode(expected)));
        assertEq(mockPool.loanHash(loanId), keccak256(abi.encode(updated)));
        assertEq(updated.auctionStart, block.timestamp);
        assertEq(updated.frozenDebt, MOCK_DEBT);
        assertEq(mockPool.lastKeeper(), keeper);
        assertTrue(auction.isLive(loanId));
        assertEq(auction.currentPrice(loanId, updated, a), 15 ether);
    }

    function test_start_revertsForHealthyLoan() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _openLoan(1);
        mockPool.setLiquidatable(loanId, false);
        State memory before = _state(loanId, 1);

        vm.expectRevert(
            abi.encodeWithSelector(ILendingPoolTypes.LoanNotLiquidatable.selector, loanId, 1.25e18, loan.dueTime)
        );
        vm.prank(keeper);
        auction.start(loanId, loan);
        _assertUnchanged(before, loanId, 1);
        assertFalse(auction.isLive(loanId));
    }

    function test_start_revertsDuringOracleOutage() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _openLoan(1);
        valuation.beginOutage(address(apes));
        State memory before = _state(loanId, 1);

        vm.expectRevert(
            abi.encodeWithSelector(
                IValuation.ValuationUnavailable.selector, address(apes), IValuation.Status.FloorStale
            )
        );
        auction.start(loanId, loan);
        _assertUnchanged(before, loanId, 1);
    }

    function test_start_revertsForUnknownLoan() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _openLoan(1);
        loan.principal += 1; // not the committed loan
        State memory before = _state(loanId, 1);

        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));
        auction.start(loanId, loan);
        _assertUnchanged(before, loanId, 1);

        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, 99));
        auction.start(99, loan);
        _assertUnchanged(before, loanId, 1);
    }

    function test_start_revertsWhenAlreadyStarted() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan,) = _openAndStart(1);
        State memory before = _state(loanId, 1);

        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.AuctionAlreadyStarted.selector, loanId));
        auction.start(loanId, loan);
        _assertUnchanged(before, loanId, 1);
    }

    function test_start_revertsAfterRepaymentOfTheAuction() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan,) = _openAndStart(1);
        _repay(loanId, loan);
        State memory before = _state(loanId, 1);

        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.AuctionAlreadyStarted.selector, loanId));
        auction.start(loanId, loan);
        _assertUnchanged(before, loanId, 1);
    }

    /*//////////////////////////////////////////////////////////////
                                  BUY
    //////////////////////////////////////////////////////////////*/

    function test_buy_atStartPaysStartPriceAndTakesNft() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        _fundBuyer(buyer, 15 ether);

        vm.expectEmit(address(auction));
        emit IDutchAuction.AuctionBought(loanId, buyer, 15 ether);
        vm.prank(buyer);
        uint256 paid = auction.buy(loanId, loan, a, 15 ether);

        assertEq(paid, 15 ether);
        assertEq(apes.ownerOf(1), buyer);
        assertEq(weth.balanceOf(buyer), 0);
        assertEq(weth.balanceOf(address(mockPool)), 15 ether);
        assertEq(mockPool.lastBuyer(), buyer);
        assertEq(mockPool.lastProceeds(), 15 ether);
        assertEq(mockPool.lastKeeper(), keeper);
        assertEq(auction.auctionHash(loanId), 0);
        assertEq(mockPool.loanHash(loanId), 0);
        assertFalse(auction.isLive(loanId));
        // Waterfall: 6 debt, 0.3 penalty (half to the keeper), 8.7 surplus to the borrower; no bad debt.
        assertEq(mockPool.claimable(keeper), 0.15 ether);
        assertEq(mockPool.reserve(), 0.15 ether);
        assertEq(mockPool.claimable(borrower), 8.7 ether);
        assertEq(mockPool.totalBadDebt(), 0);
    }

    function test_buy_followsTheCurve() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        skip(18 hours);
        uint256 expected = AuctionLib.price(15 ether, 7 ether, 36 hours, 18 hours);
        assertEq(auction.currentPrice(loanId, loan, a), expected);
        _fundBuyer(buyer, expected);
        vm.prank(buyer);
        assertEq(auction.buy(loanId, loan, a, type(uint256).max), expected);
        assertEq(weth.balanceOf(address(mockPool)), expected);
    }

    function test_buy_afterEndAtReserveWithShortfall() public {
        mockPool.setAuctionTerms(15_000, 5000, 24 hours, 500, 5000); // reserve 5 ether < 6 ether debt
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        skip(30 hours);
        _fundBuyer(buyer, 5 ether);
        vm.prank(buyer);
        assertEq(auction.buy(loanId, loan, a, 5 ether), 5 ether);
        assertEq(mockPool.totalBadDebt(), 1 ether);
        assertEq(mockPool.claimable(borrower), 0);
        assertEq(mockPool.claimable(keeper), 0);
        assertEq(apes.ownerOf(1), buyer);
    }

    function test_buy_revertsWhenPriceAboveBuyerLimit() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        _fundBuyer(buyer, 15 ether);
        State memory before = _state(loanId, 1);

        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.PriceAboveBuyerLimit.selector, 15 ether, 15 ether - 1));
        vm.prank(buyer);
        auction.buy(loanId, loan, a, 15 ether - 1);
        _assertUnchanged(before, loanId, 1);
    }

    function test_buy_revertsWhenNeverStarted() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _openLoan(1);
        IDutchAuction.Auction memory a;
        _fundBuyer(buyer, 15 ether);
        State memory before = _state(loanId, 1);

        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.AuctionNotLive.selector, loanId));
        vm.prank(buyer);
        auction.buy(loanId, loan, a, type(uint256).max);
        _assertUnchanged(before, loanId, 1);
    }

    function test_buy_revertsWhenAlreadyBought() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        _fundBuyer(buyer, 30 ether);
        vm.prank(buyer);
        auction.buy(loanId, loan, a, type(uint256).max);
        State memory before = _state(loanId, 1);

        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.AuctionNotLive.selector, loanId));
        vm.prank(buyer);
        auction.buy(loanId, loan, a, type(uint256).max);
        _assertUnchanged(before, loanId, 1);
    }

    function test_buy_revertsAfterRepayment() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        _repay(loanId, loan);
        assertFalse(auction.isLive(loanId));
        assertTrue(auction.auctionHash(loanId) != 0, "stale commitment kept");
        _fundBuyer(buyer, 15 ether);
        State memory before = _state(loanId, 1);

        // The mockPool checks the loan against its commitment in the same transaction.
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));
        vm.prank(buyer);
        auction.buy(loanId, loan, a, type(uint256).max);
        _assertUnchanged(before, loanId, 1);
        assertEq(apes.ownerOf(1), borrower);
    }

    function test_buy_revertsForTamperedAuction() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        _fundBuyer(buyer, 15 ether);
        bytes32 committed = auction.auctionHash(loanId);
        State memory before = _state(loanId, 1);

        IDutchAuction.Auction memory forged = a;
        forged.reservePrice = 1;
        forged.startPrice = 1;
        forged.keeper = buyer;
        vm.expectRevert(
            abi.encodeWithSelector(
                IDutchAuction.AuctionMismatch.selector, loanId, committed, keccak256(abi.encode(forged))
            )
        );
        vm.prank(buyer);
        auction.buy(loanId, loan, forged, type(uint256).max);
        _assertUnchanged(before, loanId, 1);
    }

    function test_buy_revertsForWrongLoan() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        _fundBuyer(buyer, 15 ether);
        State memory before = _state(loanId, 1);

        loan.frozenDebt = 1;
        // The mockPool checks the loan against its commitment in the same transaction.
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));
        vm.prank(buyer);
        auction.buy(loanId, loan, a, type(uint256).max);
        _assertUnchanged(before, loanId, 1);
    }

    function test_buy_revertsWithoutAllowance() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        weth.mint(buyer, 15 ether);
        State memory before = _state(loanId, 1);

        vm.expectRevert(bytes4(keccak256("TransferFromFailed()")));
        vm.prank(buyer);
        auction.buy(loanId, loan, a, type(uint256).max);
        _assertUnchanged(before, loanId, 1);
    }

    /// @dev The price paid is the curve at the outage-adjusted elapsed time, and the mockPool receives exactly it.
    function testFuzz_buy_paysCurvePriceAtAnyTime(uint256 wait) public {
        wait = bound(wait, 0, 100 hours);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        skip(wait);
        uint256 expected = AuctionLib.price(a.startPrice, a.reservePrice, a.duration, wait);
        _fundBuyer(buyer, expected);
        vm.prank(buyer);
        uint256 paid = auction.buy(loanId, loan, a, expected);
        assertEq(paid, expected);
        assertEq(weth.balanceOf(address(mockPool)), expected);
        assertEq(apes.ownerOf(1), buyer);
    }

    /// @dev Settlement arithmetic through the module: proceeds = repaid + penalty + surplus, and the bad debt is the
    /// unpaid debt, for any debt, terms and time.
    function testFuzz_buy_settlementConservesValue(
        uint256 debt,
        uint16 startBps,
        uint16 reserveBps,
        uint16 penaltyBps,
        uint256 wait
    ) public {
        debt = bound(debt, 1, 1e30);
        reserveBps = uint16(bound(reserveBps, 1, 10_000));
        startBps = uint16(bound(startBps, reserveBps, 30_000));
        penaltyBps = uint16(bound(penaltyBps, 0, 2000));
        wait = bound(wait, 0, 60 hours);
        mockPool.setAuctionTerms(startBps, reserveBps, 36 hours, penaltyBps, 5000);
        valuation.setPrice(address(apes), bound(debt * 2, 1, 1e30));

        apes.mint(borrower, 1);
        vm.prank(borrower);
        apes.setApprovalForAll(address(mockPool), true);
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = mockPool.openLoan(borrower, address(apes), 1, 1, debt);
        mockPool.setLiquidatable(loanId, true);
        IDutchAuction.Auction memory a;
        vm.prank(keeper);
        (a, loan) = auction.start(loanId, loan);
        skip(wait);

        uint256 price = auction.currentPrice(loanId, loan, a);
        _fundBuyer(buyer, price);
        vm.prank(buyer);
        auction.buy(loanId, loan, a, price);

        uint256 repaid = price < debt ? price : debt;
        assertEq(mockPool.totalBadDebt(), debt - repaid);
        assertEq(
            mockPool.reserve() + mockPool.claimable(keeper) + mockPool.claimable(borrower) + repaid,
            price,
            "value conserved"
        );
        assertEq(weth.balanceOf(address(mockPool)), price);
    }

    /*//////////////////////////////////////////////////////////////
                                SETTLE
    //////////////////////////////////////////////////////////////*/

    /// @dev Issue 14: an ended auction is relisted from its reserve down to half of it, MAX_RELISTS times; only the
    /// last round's settlement writes off and sends the NFT to custody. The settler is named to the pool (its reward).
    function test_settle_relistsThenSendsNftToCustodyAndWritesOff() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        skip(36 hours);

        IDutchAuction.Auction memory expected = abi.decode(abi.encode(a), (IDutchAuction.Auction));
        expected.startPrice = 7 ether;
        expected.reservePrice = 3.5 ether;
        expected.start = uint40(block.timestamp);
        expected.round = 1;
        vm.expectEmit(address(auction));
        emit IDutchAuction.AuctionRelisted(loanId, stranger, expected);
        vm.prank(stranger);
        (uint256 badDebt, IDutchAuction.Auction memory next, ILendingPoolTypes.Loan memory updated) =
            auction.settle(loanId, loan, a);
        assertEq(badDebt, 0);
        assertEq(keccak256(abi.encode(next)), keccak256(abi.encode(expected)));
        assertEq(auction.auctionHash(loanId), keccak256(abi.encode(expected)));
        assertEq(mockPool.relistCalls(), 1);
        assertEq(mockPool.lastSettler(), stranger);
        assertEq(apes.ownerOf(1), address(mockPool), "the NFT stays for the next round");
        assertTrue(auction.isLive(loanId));
        assertEq(auction.currentPrice(loanId, updated, next), 7 ether);

        IDutchAuction.Auction memory last;
        (badDebt, last) = _settleUnsoldToClose(loanId, updated, next, stranger);
        assertEq(last.round, auction.MAX_RELISTS());
        assertEq(last.reservePrice, 7 ether / 8);
        assertEq(mockPool.relistCalls(), auction.MAX_RELISTS());
        assertEq(badDebt, MOCK_DEBT);
        assertEq(apes.ownerOf(1), custody);
        assertEq(mockPool.lastBuyer(), address(0));
        assertEq(mockPool.lastProceeds(), 0);
        assertEq(mockPool.lastSettler(), stranger);
        assertEq(mockPool.totalBadDebt(), MOCK_DEBT);
        assertEq(auction.auctionHash(loanId), 0);
        assertFalse(auction.isLive(loanId));
    }

    function test_settle_revertsBeforeEnd() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        skip(36 hours - 1);
        State memory before = _state(loanId, 1);

        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.AuctionNotEnded.selector, loanId, 36 hours - 1, 36 hours));
        auction.settle(loanId, loan, a);
        _assertUnchanged(before, loanId, 1);
    }

    function test_settle_revertsTwice() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        skip(36 hours);
        (, IDutchAuction.Auction memory next,) = auction.settle(loanId, loan, a);
        State memory before = _state(loanId, 1);

        // The round just settled is no longer the commitment: settling it again relists nothing.
        vm.expectRevert(
            abi.encodeWithSelector(
                IDutchAuction.AuctionMismatch.selector, loanId, keccak256(abi.encode(next)), keccak256(abi.encode(a))
            )
        );
        auction.settle(loanId, loan, a);
        _assertUnchanged(before, loanId, 1);

        (, IDutchAuction.Auction memory last) = _settleUnsoldToClose(loanId, loan, next, address(this));
        before = _state(loanId, 1);
        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.AuctionNotLive.selector, loanId));
        auction.settle(loanId, loan, last);
        _assertUnchanged(before, loanId, 1);
    }

    function test_settle_revertsAfterBuy() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        skip(40 hours);
        _fundBuyer(buyer, 7 ether);
        vm.prank(buyer);
        auction.buy(loanId, loan, a, 7 ether);
        State memory before = _state(loanId, 1);

        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.AuctionNotLive.selector, loanId));
        vm.prank(stranger);
        auction.settle(loanId, loan, a);
        _assertUnchanged(before, loanId, 1);
        assertEq(apes.ownerOf(1), buyer);
    }

    function test_settle_revertsAfterRepayment() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        _repay(loanId, loan);
        skip(36 hours);
        State memory before = _state(loanId, 1);

        // The mockPool checks the loan against its commitment in the same transaction.
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.UnknownLoan.selector, loanId));
        auction.settle(loanId, loan, a);
        _assertUnchanged(before, loanId, 1);
    }

    function test_buy_afterEndBeatsSettle() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        skip(100 days);
        _fundBuyer(buyer, 7 ether);
        vm.prank(buyer);
        assertEq(auction.buy(loanId, loan, a, 7 ether), 7 ether);
        assertEq(mockPool.totalBadDebt(), 0);
    }

    /*//////////////////////////////////////////////////////////////
                            ORACLE OUTAGES
    //////////////////////////////////////////////////////////////*/

    function test_outage_freezesPriceAndDelaysSettle() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        skip(10 hours);
        uint256 at10h = auction.currentPrice(loanId, loan, a);
        valuation.beginOutage(address(apes));
        skip(5 hours);
        assertEq(auction.currentPrice(loanId, loan, a), at10h, "frozen during the outage");
        assertEq(auction.elapsed(address(apes), a), 10 hours);
        valuation.endOutage(address(apes));
        assertEq(auction.currentPrice(loanId, loan, a), at10h, "resumes where it stopped");
        skip(1 hours);
        assertEq(auction.currentPrice(loanId, loan, a), AuctionLib.price(15 ether, 7 ether, 36 hours, 11 hours));

        // 36 h of decay now end 5 h late.
        skip(36 hours - 11 hours - 1);
        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.AuctionNotEnded.selector, loanId, 36 hours - 1, 36 hours));
        auction.settle(loanId, loan, a);
        skip(1);
        (, IDutchAuction.Auction memory next,) = auction.settle(loanId, loan, a);
        assertEq(next.round, 1);
        assertEq(next.outageBase, 5 hours, "the relist starts from the outage seconds so far");
        _settleUnsoldToClose(loanId, loan, next, address(this));
        assertEq(apes.ownerOf(1), custody);
    }

    function test_outage_beforeStartDoesNotExtend() public {
        valuation.beginOutage(address(apes));
        skip(3 hours);
        valuation.endOutage(address(apes));
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        assertEq(a.outageBase, 3 hours);
        skip(36 hours);
        _settleUnsoldToClose(loanId, loan, a, address(this));
        assertEq(apes.ownerOf(1), custody);
    }

    function test_outage_buyDuringOutageAtFrozenPrice() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _openAndStart(1);
        skip(1 hours);
        uint256 frozen = auction.currentPrice(loanId, loan, a);
        valuation.beginOutage(address(apes));
        skip(20 hours); // within the extension cap (AuctionLib.MAX_OUTAGE_EXTENSION, 24 h)
        _fundBuyer(buyer, frozen);
        vm.prank(buyer);
        assertEq(auction.buy(loanId, loan, a, frozen), frozen);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    function test_isLive_stateMachine() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _openLoan(1);
        assertFalse(auction.isLive(loanId), "before start");
        IDutchAuction.Auction memory a;
        (a, loan) = auction.start(loanId, loan);
        assertTrue(auction.isLive(loanId), "running");
        skip(40 hours);
        assertTrue(auction.isLive(loanId), "ended, not settled");
        (, IDutchAuction.Auction memory next,) = auction.settle(loanId, loan, a);
        assertTrue(auction.isLive(loanId), "relisted");
        _settleUnsoldToClose(loanId, loan, next, address(this));
        assertFalse(auction.isLive(loanId), "settled");
    }

    function test_currentPrice_revertsWhenNotLive() public {
        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _openLoan(1);
        IDutchAuction.Auction memory a;
        vm.expectRevert(abi.encodeWithSelector(IDutchAuction.AuctionNotLive.selector, loanId));
        auction.currentPrice(loanId, loan, a);
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    function _repay(uint256 loanId, ILendingPoolTypes.Loan memory loan) internal {
        uint256 owed = loan.frozenDebt + loan.frozenDebt * mockPool.penaltyBps() / 10_000;
        weth.mint(stranger, owed + 1);
        vm.startPrank(stranger);
        weth.approve(address(mockPool), type(uint256).max);
        mockPool.repay(loanId, loan);
        vm.stopPrank();
    }
}

