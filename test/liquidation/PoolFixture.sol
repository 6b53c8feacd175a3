// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {LendingPool} from "../../src/LendingPool.sol";
import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {LendingPoolExtension} from "../../src/pool/LendingPoolExtension.sol";
import {AuctionTestERC1155, AuctionTestERC20, AuctionTestERC721} from "../mocks/AuctionTestTokens.sol";
import {MockValuationForAuction} from "../mocks/MockValuationForAuction.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Test} from "forge-std/Test.sol";

/// @notice The real LendingPool and the auction module, both behind ERC-1967 proxies, over a settable valuation.
/// Terms: value = price (haircut 100 %), LTV 50 %, liquidation threshold 70 %, penalty 5 % (half to the keeper),
/// auction from 150 % to 70 % of the value over 36 h, loans of 30 days with 2 days of grace.
abstract contract PoolFixture is Test {
    uint256 internal constant UNIT_PRICE = 10 ether;
    uint256 internal constant PRINCIPAL = 5 ether;
    uint256 internal constant LIQUIDITY = 100 ether;

    address internal timelock = makeAddr("timelock");
    address internal guardian = makeAddr("guardian");
    address internal custody = makeAddr("custody");
    address internal lender = makeAddr("lender");
    address internal borrower = makeAddr("borrower");
    address internal keeper = makeAddr("keeper");
    address internal buyer = makeAddr("buyer");
    address internal stranger = makeAddr("stranger");

    AuctionTestERC20 internal token;
    AuctionTestERC721 internal nft;
    AuctionTestERC1155 internal multi;
    MockValuationForAuction internal valuation;
    ILendingPool internal pool;
    DutchAuction internal auction;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        token = new AuctionTestERC20(18);
        nft = new AuctionTestERC721();
        multi = new AuctionTestERC1155();
        valuation = new MockValuationForAuction();
        valuation.setPrice(address(nft), UNIT_PRICE);
        valuation.setPrice(address(multi), UNIT_PRICE);

        ILendingPoolTypes.RateConfig memory rc = ILendingPoolTypes.RateConfig({
            baseRate: uint48(uint256(0.02e18) / 365 days),
            slope1: uint48(uint256(0.1e18) / 365 days),
            slope2: uint48(uint256(1e18) / 365 days),
            kinkBps: 7500,
            reserveFactorBps: 1000,
            borrowPaused: false,
            minLoan: 0.1 ether
        });
        LendingPool poolImpl = new LendingPool(
            address(token), address(valuation), address(new LendingPoolExtension(address(token), address(valuation)))
        );
        pool = ILendingPool(
            address(
                new ERC1967Proxy(
                    address(poolImpl),
                    abi.encodeCall(LendingPool.initialize, ("Pool", "pATT", timelock, guardian, custody, rc))
                )
            )
        );
        DutchAuction auctionImpl = new DutchAuction(ILendingPool(address(pool)));
        auction = DutchAuction(
            address(
                new ERC1967Proxy(
                    address(auctionImpl), abi.encodeCall(DutchAuction.initialize, (address(pool), timelock, guardian))
                )
            )
        );

        vm.startPrank(timelock);
        pool.setTerms(address(nft), _terms(1), 1000 ether);
        pool.setTerms(address(multi), _terms(2), 1000 ether);
        pool.setLiquidator(address(auction));
        vm.stopPrank();

        token.mint(lender, LIQUIDITY);
        vm.startPrank(lender);
        token.approve(address(pool), type(uint256).max);
        pool.deposit(LIQUIDITY, lender);
        vm.stopPrank();

        vm.label(address(pool), "pool");
        vm.label(address(auction), "auction");
        vm.label(address(valuation), "valuation");
        vm.label(address(token), "token");
        vm.label(address(nft), "nft");
        vm.label(address(multi), "multi");
    }

    function _terms(uint8 standard) internal pure returns (ILendingPoolTypes.Terms memory) {
        return ILendingPoolTypes.Terms({
            standard: standard,
            ltvBps: 5000,
            liqThresholdBps: 7000,
            haircutBps: 10_000,
            penaltyBps: 500,
            keeperShareBps: 5000,
            auctionStartBps: 15_000,
            auctionReserveBps: 7000,
            duration: 30 days,
            grace: 2 days,
            auctionDuration: 36 hours
        });
    }

    /// @dev `who` borrows PRINCIPAL against ERC-721 `tokenId`.
    function _borrow(
        address who,
        uint256 tokenId
    ) internal returns (uint256 loanId, ILendingPoolTypes.Loan memory loan) {
        nft.mint(who, tokenId);
        vm.startPrank(who);
        nft.setApprovalForAll(address(pool), true);
        (loanId, loan) = pool.borrow(address(nft), tokenId, 1, PRINCIPAL, who, 0, new bytes32[](0));
        vm.stopPrank();
    }

    /// @dev `who` borrows PRINCIPAL against `amount` units of ERC-1155 `id`.
    function _borrow1155(
        address who,
        uint256 id,
        uint256 amount
    ) internal returns (uint256 loanId, ILendingPoolTypes.Loan memory loan) {
        multi.mint(who, id, amount);
        vm.startPrank(who);
        multi.setApprovalForAll(address(pool), true);
        (loanId, loan) = pool.borrow(address(multi), id, amount, PRINCIPAL, who, 0, new bytes32[](0));
        vm.stopPrank();
    }

    /// @dev A loan made unhealthy by a price drop to 6 ether (limit 4.2 < debt 5), then auctioned by `keeper`:
    /// start price 9 ether, reserve 4.2 ether.
    function _unhealthyAuction(uint256 tokenId)
        internal
        returns (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a)
    {
        (loanId, loan) = _borrow(borrower, tokenId);
        skip(1 days);
        valuation.setPrice(address(nft), 6 ether);
        vm.prank(keeper);
        (a, loan) = auction.start(loanId, loan);
    }

    function _fund(address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(auction), type(uint256).max);
    }
}
