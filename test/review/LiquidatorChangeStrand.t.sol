// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {BaseTest} from "../utils/BaseTest.sol";

/// @notice Review of issue 14 (commit 134fb35): a replaced liquidation module may settle only the auctions whose
/// `auctionStart` is strictly before `retiredAt`, so an auction started in the same block as `setLiquidator` (a keeper
/// who sees the timelock's queued call lands its start first) can be neither bought nor settled by either module:
/// the whole frozen debt stays booked as a loss and the NFT stays in the pool. FAILS on 134fb35.
contract LiquidatorChangeStrandTest is BaseTest {
    function setUp() public override {
        super.setUp();
        _setUpAuctionPool(address(weth));
    }

    function test_attack_auctionStartedInTheSameBlockAsLiquidatorChangeIsStranded() public {
        DutchAuction oldModule = auction;
        (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a) = _unhealthyAuction(1);
        // Same block: the timelock's module change lands right after the start.
        DutchAuction newModule = _deployAuction(pool);
        assertEq(pool.liquidator(), address(newModule));
        uint256 impairmentBooked = pool.impairment();

        // Once the round has ended, the module that started it settles (relists) it, as it may for any auction it
        // started before it was replaced.
        skip(a.duration);
        vm.prank(keeper);
        try oldModule.settle(loanId, loan, a) {}
        catch (bytes memory err) {
            emit log_named_decimal_uint("impairment stuck (WETH)", impairmentBooked, 18);
            emit log_named_bytes("old module settle reverted with", err);
            assertTrue(false, "auction stranded by a same-block liquidator change");
        }
    }
}
