// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice TS <-> Solidity differential test of the settlement split: the keeper prices a purchase with
/// `settlementSplit` (ts/keeper/keeper.ts, run through ts/ffi/settlement.ts); a real sale on the real pool must book
/// exactly that split (the debt repaid, the keeper's share of the penalty, the reserve's, the borrower's surplus), so
/// a change to the pool's waterfall that the keeper does not follow fails here.
contract SettlementDifferentialTest is BaseTest {
    function setUp() public override {
        super.setUp();
        _setUpAuctionPool(address(new MockERC20("Wrapped Ether", "WETH", 18)));
    }

    /// forge-config: default.fuzz.runs = 16
    function testFuzz_settlementSplit_tsMatchesThePool(
        uint256 penaltyBps,
        uint256 keeperShareBps,
        uint256 newPrice,
        uint256 wait
    ) public {
        ILendingPoolTypes.Terms memory t = _auctionTerms(1);
        t.penaltyBps = uint16(bound(penaltyBps, 0, 2000));
        t.keeperShareBps = uint16(bound(keeperShareBps, 0, 10_000));
        vm.prank(timelock);
        pool.setTerms(address(apes), t, 1000 ether);

        (uint256 loanId, ILendingPoolTypes.Loan memory loan) = _borrowApe(borrower, 1, PRINCIPAL);
        skip(1 days);
        valuation.setPrice(address(apes), bound(newPrice, 0.5 ether, 7 ether));
        vm.assume(pool.healthFactor(loan) < 1e18);
        IDutchAuction.Auction memory a;
        vm.prank(keeper);
        (a, loan) = auction.start(loanId, loan);
        // Anywhere on the curve: above the debt plus the penalty (a surplus), between them (a capped penalty), below
        // the debt (a shortfall).
        skip(bound(wait, 0, a.duration));
        uint256 price = auction.currentPrice(loanId, loan, a);
        uint256 cashBefore = pool.cash();
        uint256 reserveBefore = pool.reserve();
        _fundBuyer(buyer, price);
        vm.prank(buyer);
        auction.buy(loanId, loan, a, price);

        string[] memory cmd = new string[](3);
        cmd[0] = "node_modules/.bin/tsx";
        cmd[1] = "ts/ffi/settlement.ts";
        cmd[2] = vm.toString(abi.encode(loan.frozenDebt, price, t.penaltyBps, t.keeperShareBps));
        (uint256 repaid, uint256 penalty, uint256 keeperCut, uint256 toReserve, uint256 surplus) =
            abi.decode(vm.ffi(cmd), (uint256, uint256, uint256, uint256, uint256));

        assertEq(pool.claimable(keeper), keeperCut, "keeper's share");
        assertEq(pool.claimable(borrower), surplus, "borrower's surplus");
        assertEq(pool.cash() - cashBefore, repaid + toReserve, "cash: the debt repaid and the reserve's share");
        assertEq(penalty, keeperCut + toReserve, "the penalty is the two shares");
        // A shortfall is written off, the reserve absorbing first (the fixture's pool had none before this sale).
        (uint256 totalBad, uint256 absorbed) = pool.badDebt();
        assertEq(totalBad, loan.frozenDebt - repaid, "shortfall written off");
        assertEq(pool.reserve() + absorbed - reserveBefore, toReserve, "reserve's share");
    }
}
