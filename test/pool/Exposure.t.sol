// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {LendingPool} from "../../src/LendingPool.sol";
import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {IGoverned} from "../../src/interfaces/IGoverned.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {LendingPoolExtension} from "../../src/pool/LendingPoolExtension.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Issue 15, the pool side: a collection's exposure (live debt plus the debt frozen in its auctions) never
/// exceeds its ceiling, a per-borrower cap per collection, and the valuation's decimals checked at initialisation.
/// Each attack is run as the review ran it: a large borrower who keeps borrowing while the collection is liquidated.
contract ExposureTest is BaseTest {
    uint256 internal constant CEILING = 10 ether;
    uint256 internal constant LOAN = 4.9 ether;

    function setUp() public override {
        super.setUp();
        _setUpAuctionPool(address(weth));
        vm.prank(timelock);
        pool.setDebtCeiling(address(apes), CEILING);
    }

    /// @dev What counts against the ceiling now.
    function _exposure() internal view returns (uint256) {
        (,, uint256 live,) = pool.collectionState(address(apes));
        (uint256 frozen,,) = pool.collectionExposure(address(apes));
        return live + frozen;
    }

    function _assertUnderCeiling() internal view {
        assertLe(_exposure(), CEILING, "collection exposure above its ceiling");
    }

    /// @dev Two loans fill the ceiling, the collection falls 40 %, both go to auction.
    function _fillAndCrash()
        internal
        returns (
            uint256[2] memory ids,
            ILendingPoolTypes.Loan[2] memory loans,
            IDutchAuction.Auction[2] memory auctions
        )
    {
        // 9.8 of the 10 ceiling, so the day of interest below keeps the live debt under it.
        for (uint256 i; i < 2; ++i) {
            (ids[i], loans[i]) = _borrowApe(borrower, i + 1, LOAN);
        }
        _assertUnderCeiling();
        skip(1 days);
        valuation.setPrice(address(apes), 6 ether); // limit 6 x 0.7 = 4.2 < 5: both liquidatable
        for (uint256 i; i < 2; ++i) {
            vm.prank(keeper);
            (auctions[i], loans[i]) = auction.start(ids[i], loans[i]);
        }
        _assertUnderCeiling();
    }

    /// @notice The review's "exposure reaches 2x the ceiling while the collection falls": once both auctions run,
    /// their debt no longer counted and a second borrower took the whole ceiling again at the lower price. Fails on
    /// the code before issue 15 (the first new loan goes through).
    function test_RevertWhen_borrowWhileCollectionInAuction_exposureStaysUnderCeiling() public {
        _fillAndCrash();
        uint256 frozen = pool.auctionDebt();
        assertGt(frozen, 2 * LOAN, "the two frozen debts (interest included) nearly fill the ceiling");
        address second = makeAddr("second");
        _mintApe(second, 3);
        vm.prank(second);
        // The new loan's debt rounds up (a wei at most): the exposure reported is the frozen debt plus it.
        vm.expectPartialRevert(ILendingPoolTypes.ExceedsDebtCeiling.selector);
        pool.borrow(address(apes), 3, 1, 3 ether, second, 0, new bytes32[](0));
        assertEq(apes.ownerOf(3), second, "no loan opened");
        _assertUnderCeiling();
    }

    /// @notice Room comes back only when an auction settles: after a sale, exactly the sold loan's frozen debt.
    function test_exposure_roomReturnsWhenAuctionSells() public {
        (uint256[2] memory ids, ILendingPoolTypes.Loan[2] memory loans, IDutchAuction.Auction[2] memory auctions) =
            _fillAndCrash();
        uint256 before = _exposure();
        _fundBuyer(buyer, 100 ether);
        vm.prank(buyer);
        auction.buy(ids[0], loans[0], auctions[0], type(uint256).max);
        assertEq(_exposure(), before - loans[0].frozenDebt, "a sale releases the sold loan's frozen debt");
        // Room for a new loan up to the freed amount (less the wei its debt may round up by), not beyond.
        uint256 room = CEILING - _exposure();
        valuation.setPrice(address(apes), 11 ether); // the collection recovers: the LTV is not what binds
        _mintApe(stranger, 3);
        vm.prank(stranger);
        vm.expectPartialRevert(ILendingPoolTypes.ExceedsDebtCeiling.selector);
        pool.borrow(address(apes), 3, 1, room + 1, stranger, 0, new bytes32[](0));
        vm.prank(stranger);
        pool.borrow(address(apes), 3, 1, room - 2, stranger, 0, new bytes32[](0));
        _assertUnderCeiling();
    }

    /// @notice A relist keeps the frozen debt in the exposure; the final no-bid close releases it.
    function test_exposure_relistKeepsItAndCloseReleasesIt() public {
        (uint256[2] memory ids, ILendingPoolTypes.Loan[2] memory loans, IDutchAuction.Auction[2] memory auctions) =
            _fillAndCrash();
        uint256 before = _exposure();
        skip(auctions[0].duration);
        (, IDutchAuction.Auction memory next, ILendingPoolTypes.Loan memory relisted) =
            auction.settle(ids[0], loans[0], auctions[0]);
        assertGt(next.start, 0, "relisted");
        (uint256 frozen,,) = pool.collectionExposure(address(apes));
        assertEq(frozen, loans[0].frozenDebt + loans[1].frozenDebt, "a relist keeps the auction's debt counted");
        assertGe(_exposure(), before, "a relist frees no room");
        _settleUnsoldToClose(ids[0], relisted, next, keeper);
        (frozen,,) = pool.collectionExposure(address(apes));
        assertEq(frozen, loans[1].frozenDebt, "the close releases the written-off debt");
    }

    /// @notice Repaying a loan in auction cancels it and releases its frozen debt and its principal.
    function test_exposure_repayInAuctionReleases() public {
        (uint256[2] memory ids, ILendingPoolTypes.Loan[2] memory loans,) = _fillAndCrash();
        assertEq(pool.borrowerPrincipal(address(apes), borrower), 2 * LOAN);
        _repayAll(borrower, ids[1], loans[1]);
        (uint256 frozen,,) = pool.collectionExposure(address(apes));
        assertEq(frozen, loans[0].frozenDebt);
        assertEq(pool.borrowerPrincipal(address(apes), borrower), LOAN);
    }

    /*//////////////////////////////////////////////////////////////
                           PER-BORROWER CAP
    //////////////////////////////////////////////////////////////*/

    /// @notice One address cannot take the whole ceiling: its outstanding principal in the collection is capped,
    /// whoever calls `borrow` for it (an approved operator borrows against the owner's cap).
    function test_RevertWhen_borrowAboveBorrowerCap() public {
        vm.prank(timelock);
        pool.setBorrowerCap(address(apes), 6 ether, 0);
        _borrowApe(borrower, 1, PRINCIPAL);
        _mintApe(borrower, 2);
        vm.prank(borrower);
        vm.expectRevert(
            abi.encodeWithSelector(ILendingPoolTypes.ExceedsBorrowerCap.selector, borrower, 6 ether + 1, 6 ether)
        );
        pool.borrow(address(apes), 2, 1, 1 ether + 1, borrower, 0, new bytes32[](0));
        // Through an operator the owner is still the borrower of record, so its cap applies.
        vm.prank(borrower);
        apes.setApprovalForAll(stranger, true);
        vm.prank(stranger);
        vm.expectRevert(
            abi.encodeWithSelector(ILendingPoolTypes.ExceedsBorrowerCap.selector, borrower, 6 ether + 1, 6 ether)
        );
        pool.borrow(address(apes), 2, 1, 1 ether + 1, borrower, 0, new bytes32[](0));
        // Exactly at the cap works; another borrower has its own room.
        vm.prank(borrower);
        pool.borrow(address(apes), 2, 1, 1 ether, borrower, 0, new bytes32[](0));
        _borrowApe(lender2, 3, 4 ether);
        assertEq(pool.borrowerPrincipal(address(apes), borrower), 6 ether);
        assertEq(pool.borrowerPrincipal(address(apes), lender2), 4 ether);
    }

    /// @notice Repayment (partial, then full) gives the borrower its room back, by the principal repaid.
    function test_borrowerCap_repaymentReleasesPrincipal() public {
        vm.prank(timelock);
        pool.setBorrowerCap(address(apes), PRINCIPAL, 0);
        (uint256 id, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        skip(12 minutes);
        uint256 interest = pool.debtOf(loan) - PRINCIPAL;
        weth.mint(borrower, 10 ether);
        vm.startPrank(borrower);
        weth.approve(address(pool), type(uint256).max);
        (, ILendingPoolTypes.Loan memory updated) = pool.repay(id, loan, interest + 1 ether);
        vm.stopPrank();
        assertEq(updated.principal, PRINCIPAL - 1 ether);
        assertEq(pool.borrowerPrincipal(address(apes), borrower), PRINCIPAL - 1 ether);
        _repayAll(borrower, id, updated);
        assertEq(pool.borrowerPrincipal(address(apes), borrower), 0);
        _borrowApe(borrower, 2, PRINCIPAL);
    }

    /// @notice The guardian may only tighten the cap; the timelock may do anything.
    function test_borrowerCap_guardianOnlyTightens() public {
        vm.prank(guardian);
        vm.expectRevert(ILendingPoolTypes.NotTightening.selector);
        pool.setBorrowerCap(address(apes), CEILING + 1, 0); // a first cap above the ceiling
        vm.prank(guardian);
        pool.setBorrowerCap(address(apes), 4 ether, 0);
        vm.prank(guardian);
        vm.expectRevert(ILendingPoolTypes.NotTightening.selector);
        pool.setBorrowerCap(address(apes), 4 ether + 1, 0);
        vm.prank(guardian);
        vm.expectRevert(ILendingPoolTypes.NotTightening.selector);
        pool.setBorrowerCap(address(apes), 0, 0); // 0 = no cap of its own: a raise
        vm.prank(guardian);
        pool.setBorrowerCap(address(apes), 3 ether, 0);
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IGoverned.NotGuardian.selector, stranger));
        pool.setBorrowerCap(address(apes), 1 ether, 0);
        vm.prank(timelock);
        pool.setBorrowerCap(address(apes), 0, 0);
        (, uint256 cap,) = pool.collectionExposure(address(apes));
        assertEq(cap, 0);
        vm.prank(guardian);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.TermsNotSet.selector, stranger));
        pool.setBorrowerCap(stranger, 1 ether, 0);
        // The unit cap: a first one is a tightening, raising it or lifting it (0) is not.
        vm.startPrank(guardian);
        pool.setBorrowerCap(address(items), 0, 50);
        vm.expectRevert(ILendingPoolTypes.NotTightening.selector);
        pool.setBorrowerCap(address(items), 0, 51);
        vm.expectRevert(ILendingPoolTypes.NotTightening.selector);
        pool.setBorrowerCap(address(items), 0, 0);
        pool.setBorrowerCap(address(items), 0, 10);
        vm.stopPrank();
        (,, uint256 units) = pool.collectionExposure(address(items));
        assertEq(units, 10);
    }

    /*//////////////////////////////////////////////////////////////
                        ERC-1155 STACKS: UNITS PER LOAN
    //////////////////////////////////////////////////////////////*/

    /// @notice The review's stack: one address pledged 1,000 units and borrowed the whole ceiling, though 1,000 units
    /// cannot be sold at the price at once. With a unit cap of 50 per loan and a principal cap per borrower, the most
    /// one address can borrow stops growing with its stack (docs/exposure.md, worked example). Edges: 1 unit, exactly
    /// the cap, one above it, and the largest cap the field holds.
    function test_RevertWhen_borrowStackAboveUnitCap() public {
        vm.startPrank(timelock);
        pool.setDebtCeiling(address(items), 1000 ether);
        pool.setBorrowerCap(address(items), 30 ether, 50);
        vm.stopPrank();
        valuation.setPrice(address(items), 1 ether);
        // 1,000 units: refused whatever the principal.
        items.mint(borrower, 7, 1000);
        vm.startPrank(borrower);
        items.setApprovalForAll(address(pool), true);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ExceedsUnitCap.selector, 1000, 50));
        pool.borrow(address(items), 7, 1000, 1 ether, borrower, 0, new bytes32[](0));
        // One above the cap.
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ExceedsUnitCap.selector, 51, 50));
        pool.borrow(address(items), 7, 51, 1 ether, borrower, 0, new bytes32[](0));
        // 1 unit, and exactly the cap (50 x 1 x 100 % x 50 % = 25): both open.
        pool.borrow(address(items), 7, 1, 0.5 ether, borrower, 0, new bytes32[](0));
        pool.borrow(address(items), 7, 50, 25 ether, borrower, 0, new bytes32[](0));
        // A second full lot of 50 would pass the unit cap but not the borrower's principal cap (25.5 + 25 > 30).
        vm.expectRevert(
            abi.encodeWithSelector(ILendingPoolTypes.ExceedsBorrowerCap.selector, borrower, 50.5 ether, 30 ether)
        );
        pool.borrow(address(items), 7, 50, 25 ether, borrower, 0, new bytes32[](0));
        vm.stopPrank();
        assertEq(items.balanceOf(address(pool), 7), 51);
        // The largest cap the field holds is accepted; one more is not.
        vm.startPrank(timelock);
        pool.setBorrowerCap(address(items), 0, type(uint32).max);
        vm.expectRevert(
            abi.encodeWithSelector(
                ILendingPoolTypes.ExceedsStorageWidth.selector, uint256(type(uint32).max) + 1, type(uint32).max
            )
        );
        pool.setBorrowerCap(address(items), 0, uint256(type(uint32).max) + 1);
        vm.stopPrank();
    }

    /*//////////////////////////////////////////////////////////////
                  AUCTION START AND THE VALUATION'S DEVIATION
    //////////////////////////////////////////////////////////////*/

    /// @notice Terms whose auction would start below 1 / (1 - deviation) of the value cannot be configured: with the
    /// review's 20 % deviation, a 120 % start let a hunter buy at 28.8 an NFT valued at 30 before an unflagged drop.
    function test_RevertWhen_setTerms_auctionStartBelowDeviation() public {
        valuation.setDeviationBps(address(apes), 2000);
        ILendingPoolTypes.Terms memory t = _auctionTerms(1);
        t.auctionStartBps = 12_000;
        vm.prank(timelock);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.AuctionStartBelowDeviation.selector, 12_000, 12_500));
        pool.setTerms(address(apes), t, CEILING);
        t.auctionStartBps = 12_500; // exactly 1 / (1 - 20 %)
        vm.prank(timelock);
        pool.setTerms(address(apes), t, CEILING);
    }

    /// @notice The reverse: a deviation raised after the terms were set cannot let an auction open below the pre-drop
    /// value, because the pool lifts the start to the bound of the deviation in force when the auction starts. Terms
    /// of 150 %, deviation then raised to 50 %: the auction opens at 200 % of the value (it would open at 150 %
    /// before issue 15).
    function test_startAuction_startLiftedToDeviationInForce() public {
        (uint256 id, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, LOAN);
        valuation.setDeviationBps(address(apes), 5000);
        skip(1 days);
        valuation.setPrice(address(apes), 6 ether);
        vm.prank(keeper);
        (IDutchAuction.Auction memory a,) = auction.start(id, loan);
        assertEq(a.startPrice, 12 ether, "start at 1 / (1 - 50 %) = 200 % of the value 6");
        // Below the lift, the terms' own multiple stands.
        valuation.setDeviationBps(address(apes), 2000);
        (id, loan) = _borrowApe(borrower, 2, 2 ether);
        skip(32 days + 1); // past maturity plus grace
        vm.prank(keeper);
        (a,) = auction.start(id, loan);
        assertEq(a.startPrice, 9 ether, "terms' 150 % of 6 is above 125 %");
    }

    /*//////////////////////////////////////////////////////////////
                         VALUATION DECIMALS
    //////////////////////////////////////////////////////////////*/

    /// @notice A 6-decimal pool refuses a valuation that prices in 18 decimals (every loan would be priced 1e12 times
    /// too high), with both numbers: both halves of the implementation check it when built.
    function test_RevertWhen_constructor_valuationDecimalsDiffer() public {
        valuation.setAssetDecimals(18);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ValuationDecimalsMismatch.selector, 6, 18));
        new LendingPoolExtension(address(usdc), address(valuation));
        valuation.setAssetDecimals(6);
        address extension = address(new LendingPoolExtension(address(usdc), address(valuation)));
        valuation.setAssetDecimals(18);
        vm.expectRevert(abi.encodeWithSelector(ILendingPoolTypes.ValuationDecimalsMismatch.selector, 6, 18));
        new LendingPool(address(usdc), address(valuation), extension);
        valuation.setAssetDecimals(6);
        LendingPool impl = new LendingPool(address(usdc), address(valuation), extension);
        assertEq(impl.decimals(), 12, "the 6-decimal pool builds against a 6-decimal valuation");
    }
}
